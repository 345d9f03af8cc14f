/**
 * Test harness for the mini program.
 *
 * - installWx(): replaces the wx.* calls the app uses with recording stubs: storage that
 *   stores, wx.login handing out `harness.loginCode`, chooseMedia handing out queued files,
 *   toasts/modals/navigation recorded, and wx.request / uploadFile / downloadFile sent to
 *   `harness.transport` (a scripted fake server in unit tests, real HTTP in e2e tests).
 * - page(path): loads a page with miniprogram-simulate (once per path per test file) and
 *   renders it attached to the document; returns {comp, inst, text()}.
 * - idle(): waits until every request in flight has finished and the page settled.
 */
const path = require('path');
const simulate = require('miniprogram-simulate');

const ROOT = path.resolve(__dirname, '..', '..');
const MP = path.join(ROOT, 'miniprogram');

const TDESIGN = {};
for (const name of ['steps', 'step-item', 'rate', 'empty', 'tabs', 'tab-panel']) {
  TDESIGN[`t-${name}`] = `/miniprogram_npm/tdesign-miniprogram/${name}/${name}`;
}

const h = {
  ROOT,
  MP,
  loginCode: 'dev:居民甲',
  storage: new Map(),
  /** @type {Array<any>} */ calls: [],
  /** @type {Array<string[]>} */ mediaQueue: [],
  subscribeAnswer: 'accept',
  /** answers (true = the confirming button) for the next wx.showModal calls; then true */
  modalAnswers: [],
  /** e.g. {chooseMedia: {errMsg: 'chooseMedia:fail auth deny'}}: the next call fails so */
  refusals: {},
  privacyListener: null,
  /** what the next wx.scanCode reads */
  scanResult: '',
  location: { latitude: 30.1, longitude: 120.2, name: '南门巷口', address: '南门巷 1 号' },
  /** transport: {request(opts), uploadFile(opts), downloadFile(opts)}; set per suite */
  transport: null,
  pending: 0,
};

function record(name, arg) {
  h.calls.push({ name, arg });
}

function callsOf(name) {
  return h.calls.filter((c) => c.name === name).map((c) => c.arg);
}

function lastToast() {
  const toasts = h.calls.filter((c) => c.name === 'showToast' || c.name === 'showModal');
  const t = toasts[toasts.length - 1];
  return t ? t.arg.title || t.arg.content : '';
}

function track(fn) {
  h.pending += 1;
  let done = false;
  const finish = () => {
    if (!done) {
      done = true;
      h.pending -= 1;
    }
  };
  return { finish };
}

function installWx() {
  const wx = global.wx;
  wx.getStorageSync = (k) => (h.storage.has(k) ? h.storage.get(k) : '');
  wx.setStorageSync = (k, v) => h.storage.set(k, v);
  wx.removeStorageSync = (k) => h.storage.delete(k);
  wx.clearStorageSync = () => h.storage.clear();
  wx.login = (o) => {
    record('login', h.loginCode);
    setTimeout(() => o.success && o.success({ code: h.loginCode, errMsg: 'login:ok' }), 0);
  };
  wx.request = (o) => {
    record('request', { method: o.method, url: o.url, data: o.data });
    const t = track();
    const wrap = {
      success: (r) => { t.finish(); o.success && o.success(r); o.complete && o.complete(r); },
      fail: (e) => { t.finish(); o.fail && o.fail(e); o.complete && o.complete(e); },
    };
    h.transport.request(o, wrap);
    return { abort() {} };
  };
  wx.uploadFile = (o) => {
    record('uploadFile', { url: o.url, filePath: o.filePath });
    const t = track();
    const listeners = [];
    const task = { onProgressUpdate: (fn) => listeners.push(fn), abort() {} };
    const wrap = {
      progress: (p) => listeners.forEach((fn) => fn({ progress: p, totalBytesSent: 0, totalBytesExpectedToSend: 0 })),
      success: (r) => { t.finish(); o.success && o.success(r); },
      fail: (e) => { t.finish(); o.fail && o.fail(e); },
    };
    setTimeout(() => h.transport.uploadFile(o, wrap), 0);
    return task;
  };
  wx.downloadFile = (o) => {
    record('downloadFile', { url: o.url });
    const t = track();
    const wrap = {
      success: (r) => { t.finish(); o.success && o.success(r); },
      fail: (e) => { t.finish(); o.fail && o.fail(e); },
    };
    h.transport.downloadFile(o, wrap);
    return { onProgressUpdate() {}, abort() {} };
  };
  wx.getFileSystemManager = () => ({
    readFileSync: (p, enc) => require('fs').readFileSync(p, enc),
  });
  wx.chooseMedia = (o) => {
    record('chooseMedia', o);
    const files = h.mediaQueue.shift();
    setTimeout(() => {
      if (files) o.success && o.success({ tempFiles: files.map((f) => ({ tempFilePath: f, size: 1, fileType: 'image' })), type: 'image' });
      else o.fail && o.fail({ errMsg: 'chooseMedia:fail cancel' });
    }, 0);
  };
  wx.chooseLocation = (o) => {
    record('chooseLocation', o);
    setTimeout(() => o.success && o.success({ ...h.location, errMsg: 'ok' }), 0);
  };
  wx.requestSubscribeMessage = (o) => {
    record('requestSubscribeMessage', o);
    const res = { errMsg: 'requestSubscribeMessage:ok' };
    (o.tmplIds || []).forEach((id) => { res[id] = h.subscribeAnswer; });
    setTimeout(() => o.success && o.success(res), 0);
  };
  for (const name of ['showToast', 'showLoading', 'hideLoading', 'makePhoneCall', 'navigateTo', 'redirectTo',
    'navigateBack', 'reLaunch', 'setClipboardData', 'openDocument', 'stopPullDownRefresh', 'previewImage',
    'setNavigationBarTitle', 'scanCode', 'openLocation', 'pageScrollTo', 'openSetting', 'showShareMenu', 'hideShareMenu', 'switchTab']) {
    wx[name] = (o) => {
      record(name, o);
      const res = name === 'scanCode' ? { errMsg: `${name}:ok`, result: h.scanResult } : { errMsg: `${name}:ok` };
      setTimeout(() => {
        if (o && o.success) o.success(res);
        if (o && o.complete) o.complete(res);
      }, 0);
    };
  }
  wx.showModal = (o) => {
    record('showModal', o);
    const confirm = h.modalAnswers.length ? h.modalAnswers.shift() : true;
    setTimeout(() => o.success && o.success({ confirm, cancel: !confirm, content: h.modalInput || '' }), 0);
  };
  // The privacy check: the page's listener is kept so a test can play WeChat asking it.
  wx.onNeedPrivacyAuthorization = (fn) => {
    record('onNeedPrivacyAuthorization', fn);
    h.privacyListener = fn;
  };
  // A refusal, when queued, replaces the next chooseMedia / chooseLocation / scanCode answer.
  for (const name of ['chooseMedia', 'chooseLocation', 'scanCode']) {
    const answer = wx[name];
    wx[name] = (o) => {
      const refusal = h.refusals[name];
      if (!refusal) return answer(o);
      delete h.refusals[name];
      record(name, o);
      setTimeout(() => o.fail && o.fail(refusal), 0);
      return undefined;
    };
  }
}

function resetWx() {
  h.storage.clear();
  h.calls.length = 0;
  h.mediaQueue.length = 0;
  h.subscribeAnswer = 'accept';
  h.modalInput = '';
  h.modalAnswers.length = 0;
  h.refusals = {};
  h.privacyListener = null;
  h.scanResult = '';
}

/*
 * miniprogram-simulate runs a component's JS with require(); under jest a module runs once
 * per test file, so a component used by a second page (offline-banner, t-empty …) would call
 * Component() only the first time and stay unregistered for the second page. Remember each
 * file's Component() options and register them again when the module comes from the cache.
 */
const simUtils = require('miniprogram-simulate/src/utils');
const definitions = {};
const copyOptions = (o) => ({
  ...o,
  relations: o.relations && Object.fromEntries(Object.entries(o.relations).map(([k, v]) => [k, { ...v }])),
});
simUtils.runJs = (filePath) => {
  const register = global.Component;
  let seen = false;
  global.Component = (options) => {
    seen = true;
    definitions[filePath] = copyOptions(options);
    register(copyOptions(options));
  };
  try {
    require(filePath);
  } finally {
    global.Component = register;
  }
  if (!seen && definitions[filePath]) register(copyOptions(definitions[filePath]));
};

const loaded = {};

/**
 * Render a page (loaded once per test file) and attach it to the document.
 * @param {string} rel e.g. 'pages/board/board'
 */
function page(rel) {
  if (!loaded[rel]) {
    loaded[rel] = simulate.load(path.join(MP, rel), {
      rootPath: MP,
      compilerOptions: { maxBuffer: 1024 * 1024 * 64 },
      usingComponents: { ...TDESIGN },
    });
  }
  const comp = simulate.render(loaded[rel]);
  const parent = document.createElement('parent-wrapper');
  document.body.appendChild(parent);
  comp.attach(parent);
  return {
    comp,
    inst: comp.instance,
    data: () => comp.data,
    text: () => comp.dom.textContent.replace(/\s+/g, ' '),
  };
}

async function idle(rounds = 3) {
  for (let guard = 0; guard < 2000; guard += 1) {
    await new Promise((r) => setTimeout(r, h.pending ? 5 : 0));
    if (!h.pending) {
      rounds -= 1;
      if (rounds <= 0) return;
    }
  }
  throw new Error('idle(): requests still in flight');
}

module.exports = Object.assign(h, { installWx, resetWx, page, idle, callsOf, lastToast });
