/**
 * The pages and states `make screenshots` pictures (run by scripts/miniprogram/screenshots.js
 * through jest, so the pages load exactly as in the tests: jsdom, miniprogram-simulate, real
 * WXML through wcc, real tdesign). Normal states talk real HTTP to the demo backend that the
 * e2e global setup starts (seed-demo); empty, error and loading states use the unit tests'
 * scripted server. Each shot becomes one HTML page per screen width plus a manifest entry;
 * the shooter (shoot.py) turns them into PNGs.
 */
const fs = require('fs');
const path = require('path');
const h = require('../../../tests/miniprogram/harness');
const real = require('../../../tests/miniprogram/e2e/real');
const { fakeServer, envelope } = require('../../../tests/miniprogram/fake-server');
const fx = require('../../../tests/miniprogram/fixtures');
const wxss = require('miniprogram-simulate/src/wxss');
const { treeFromDom, pageHtml } = require('./serialise');

jest.setTimeout(120000);

const OUT = process.env.MP_SHOTS_DIR || path.join(h.ROOT, 'instance', 'screenshots', 'mp');
const HTML = path.join(OUT, 'html');
const SIZES = [[375, 812], [320, 568]];
const ONLY = process.env.MP_SHOTS_ONLY ? new RegExp(process.env.MP_SHOTS_ONLY) : null;
const manifest = [];

// Keep each component's compiled (class-prefixed, still rpx) WXSS as miniprogram-simulate
// makes it, to inline it in the HTML in the same order the page loaded it.
const compile = wxss.compile;
let captured = [];
wxss.compile = (content, options) => {
  const out = compile(content, options);
  captured.push(out);
  return out;
};
const appWxss = wxss.getContent(path.join(h.MP, 'app.wxss'));
const APP_JSON = JSON.parse(fs.readFileSync(path.join(h.MP, 'app.json'), 'utf8'));
const cssByRel = {};

/** app.wxss applies to the page and to components that ask for global classes. */
function globalCss(rel) {
  const css = [compile(appWxss, { prefix: 'main' })];
  const json = JSON.parse(fs.readFileSync(path.join(h.MP, `${rel}.json`), 'utf8'));
  for (const [tag, p] of Object.entries(json.usingComponents || {})) {
    const js = path.join(h.MP, `${p}.js`);
    if (fs.existsSync(js) && /addGlobalClass:\s*true/.test(fs.readFileSync(js, 'utf8'))) css.push(compile(appWxss, { prefix: tag }));
  }
  return css;
}

function open(rel) {
  const first = !cssByRel[rel];
  if (first) captured = [];
  const p = h.page(rel);
  if (first) cssByRel[rel] = [...globalCss(rel), ...captured];
  return p;
}

/** The toast, modal or loading last shown (a hideLoading after a loading clears it). */
function overlay() {
  let last = null;
  for (const c of h.calls) {
    if (c.name === 'showToast') last = { kind: 'toast', ...c.arg };
    else if (c.name === 'showModal') last = { kind: 'modal', ...c.arg };
    else if (c.name === 'showLoading') last = { kind: 'loading', ...c.arg };
    else if (c.name === 'hideLoading' && last && last.kind === 'loading') last = null;
  }
  return last;
}

const TAB_PAGES = new Set(((APP_JSON.tabBar && APP_JSON.tabBar.list) || []).map((t) => t.pagePath));

/**
 * The custom tab bar as the person sees it under a tab page (their tabs, this page's marked,
 * the 工作台 badge): its tree and CSS, drawn by pageHtml at the bottom of the screen. Its badge
 * request is waited for, but never longer than a moment (a held request must not stop a shot).
 */
async function tabBarOf(rel) {
  if (!TAB_PAGES.has(rel)) return null;
  const bar = open('custom-tab-bar/index');
  await Promise.race([bar.inst.refresh(`/${rel}`), new Promise((r) => setTimeout(r, 1500))]);
  return { tree: treeFromDom(bar.comp.dom), css: cssByRel['custom-tab-bar/index'] };
}

/** Write the page as it is now: one HTML file per width (tab pages with their tab bar). */
async function snap(rel, state, p) {
  const json = JSON.parse(fs.readFileSync(path.join(h.MP, `${rel}.json`), 'utf8'));
  const win = APP_JSON.window;
  const name = rel.replace(/^pages\//, '').replace(/\/[^/]+$/, '').replace(/\//g, '-');
  const title = json.navigationBarTitleText || win.navigationBarTitleText;
  const tree = treeFromDom(p.comp.dom);
  const shown = overlay();
  const tabBar = await tabBarOf(rel);
  fs.mkdirSync(HTML, { recursive: true });
  for (const [width, height] of SIZES) {
    const file = `${name}-${state}-${width}`;
    fs.writeFileSync(path.join(HTML, `${file}.html`), pageHtml({
      tree, css: cssByRel[rel], title, width, height, caption: `${rel} · ${state}`, overlay: shown, tabBar,
      nav: { background: json.navigationBarBackgroundColor || win.navigationBarBackgroundColor, color: (json.navigationBarTextStyle || win.navigationBarTextStyle) === 'black' ? '#000' : '#fff', back: rel !== APP_JSON.pages[0] && !TAB_PAGES.has(rel) },
    }));
    // A toast or modal covers the screen, not the whole scrolled page: such a shot is the screen.
    manifest.push({ page: rel, name, state, width, height, html: `html/${file}.html`, png: `${file}.png`, overlay: !!shown });
  }
}

const server = fakeServer();
// Each shot starts with no toast or modal of the one before (h.calls feeds overlay()).
const fake = () => { server.reset(); h.transport = server.transport; h.calls.length = 0; };
const useReal = (who) => { real.use(); real.control.down = false; real.as(who); h.calls.length = 0; };
const shot = (name, fn) => (ONLY && !ONLY.test(name) ? test.skip : test)(name, fn);

const code = real.boards()['南门巷'];

/** Run `fn` with wx.showModal left open (not answered), so the confirmation is drawn. */
async function withOpenModal(fn) {
  const answer = wx.showModal;
  wx.showModal = (o) => { h.calls.push({ name: 'showModal', arg: o }); };
  try {
    h.calls.length = 0;
    await fn();
  } finally {
    wx.showModal = answer;
  }
}
const demo = {};

shot('board normal, loading, error, empty', async () => {
  useReal('dev:居民赵一');
  const board = open('pages/board/board');
  await board.inst.onLoad({ code });
  await h.idle();
  demo.board = board.data().board;
  await snap('pages/board/board', 'normal', board);

  fake();
  server.route('GET', `/boards/${code}`, 'hold');
  const loading = open('pages/board/board');
  loading.inst.onLoad({ code });
  await new Promise((r) => setTimeout(r, 20)); // the request is held: the page stays loading
  await snap('pages/board/board', 'loading', loading);
  server.held.splice(0).forEach((cb) => cb.fail({ errMsg: 'request:fail' }));
  await h.idle();

  useReal('dev:居民赵一');
  real.control.down = true;
  const down = open('pages/board/board');
  await down.inst.onLoad({ code });
  await h.idle();
  await snap('pages/board/board', 'error', down);
  real.control.down = false;

  fake();
  server.route('GET', '/boards/GONE2345', envelope(410, 'board_inactive', '这块公示牌已停用，请扫描巷口新的公示牌'));
  const gone = open('pages/board/board');
  await gone.inst.onLoad({ code: 'GONE2345' });
  await h.idle();
  await snap('pages/board/board', 'gone', gone);

  fake();
  server.route('GET', `/boards/${code}`, { status: 200, body: { ...demo.board, recent_issues: [], wishes: [], figures: { open_now: 0, resolved_30d: 0, resolution_rate: null, average_rating: null, rated: 0, median_accept_minutes: null } } });
  const empty = open('pages/board/board');
  await empty.inst.onLoad({ code });
  await h.idle();
  await snap('pages/board/board', 'empty', empty);
});

shot('report form, wrong, filled, done; then mine and issue as that resident', async () => {
  useReal('dev:居民赵一');
  const report = open('pages/report/report');
  report.inst.onLoad({ code });
  await h.idle();
  await snap('pages/report/report', 'normal', report);

  h.calls.length = 0;
  await report.inst.submit();
  await h.idle();
  await snap('pages/report/report', 'invalid', report);

  h.calls.length = 0;
  report.inst.onCategory({ currentTarget: { dataset: { value: '设施损坏' } } });
  report.inst.onInput({ currentTarget: { dataset: { field: 'content' } }, detail: { value: '南门巷 3 号门口的路灯不亮了，晚上老人出门看不清路' } });
  h.mediaQueue.push([real.pngFile('lamp.png')]);
  report.comp.querySelector('#photos').instance.choose();
  await h.idle();
  await snap('pages/report/report', 'filled', report);

  h.calls.length = 0;
  await report.inst.submit();
  await h.idle();
  demo.issue = report.data().created;
  await snap('pages/report/report', 'done', report);

  const mine = open('pages/mine/mine');
  await mine.inst.onLoad();
  await h.idle();
  await snap('pages/mine/mine', 'normal', mine);

  const issue = open('pages/issue/issue');
  await issue.inst.onLoad({ id: String(demo.issue.id) });
  await h.idle();
  await snap('pages/issue/issue', 'normal', issue);
  // 撤销 asks first: the question drawn over the item.
  await withOpenModal(async () => { issue.inst.cancel(); await snap('pages/issue/issue', 'confirm', issue); });
});

shot('report without a board, privacy popup, privacy page', async () => {
  useReal('dev:居民赵一');
  h.storage.delete('lastBoard');
  const scan = open('pages/report/report');
  await scan.inst.onLoad({});
  await h.idle();
  await snap('pages/report/report', 'scan', scan);

  const report = open('pages/report/report');
  await report.inst.onLoad({ code });
  await h.idle();
  h.privacyListener(() => {}, { referrer: 'chooseMedia' });
  await h.idle();
  await snap('pages/report/report', 'privacy', report);

  await normal('pages/privacy/privacy', 'dev:居民赵一');
});

shot('mine new user and error; issue error', async () => {
  useReal('dev:新来的居民');
  const mine = open('pages/mine/mine');
  await mine.inst.onLoad();
  await h.idle();
  await snap('pages/mine/mine', 'empty', mine);

  fake();
  server.route('GET', '/me', envelope(503, 'unavailable', '服务暂时不可用，请稍后再试'));
  const broken = open('pages/mine/mine');
  await broken.inst.onLoad();
  await h.idle();
  await snap('pages/mine/mine', 'error', broken);

  fake();
  server.route('GET', '/issues/7', envelope(404, 'issue_not_found', '找不到该诉求'));
  const missing = open('pages/issue/issue');
  await missing.inst.onLoad({ id: '7' });
  await h.idle();
  await snap('pages/issue/issue', 'error', missing);
});

shot('wish form and wishes list', async () => {
  useReal('dev:居民赵一');
  const wish = open('pages/wish/wish');
  await wish.inst.onLoad({ code });
  await h.idle();
  await snap('pages/wish/wish', 'normal', wish);
  h.calls.length = 0;
  await wish.inst.submit();
  await snap('pages/wish/wish', 'invalid', wish);

  const alleyId = demo.board ? String(demo.board.alley.id) : '';
  const wishes = open('pages/wishes/wishes');
  await wishes.inst.onLoad({ alley_id: alleyId });
  await h.idle();
  await snap('pages/wishes/wishes', 'normal', wishes);

  fake();
  server.route('GET', '/wishes', fx.page([]));
  const empty = open('pages/wishes/wishes');
  await empty.inst.onLoad({ alley_id: '9' });
  await h.idle();
  await snap('pages/wishes/wishes', 'empty', empty);
});

/** Open a page as `who` against the demo, call onLoad(options), wait, snap its normal state. */
async function normal(rel, who, options = {}, state = 'normal') {
  useReal(who);
  const p = open(rel);
  if (p.inst.onLoad) await p.inst.onLoad(options);
  await h.idle();
  await snap(rel, state, p);
  return p;
}

/** A transport that never answers (the page as it is while its data is on the way). */
const heldCalls = [];
const holding = {
  request: (o, cb) => heldCalls.push(cb),
  uploadFile: (o, cb) => heldCalls.push(cb),
  downloadFile: (o, cb) => heldCalls.push(cb),
};
const fail = (o, cb) => setTimeout(() => cb.fail({ errMsg: 'request:fail' }), 0);
const failing = { request: fail, uploadFile: fail, downloadFile: fail };
/** A transport where every list is empty and every change succeeds (a new community). */
const nothing = {
  request: (o, cb) => setTimeout(() => cb.success({ statusCode: 200, data: (o.method || 'GET') === 'GET' ? fx.page([]).body : {}, header: {} }), 0),
  uploadFile: (o, cb) => cb.fail({ errMsg: 'uploadFile:fail' }),
  downloadFile: (o, cb) => setTimeout(() => cb.fail({ errMsg: 'downloadFile:fail' }), 0),
};

/**
 * The other states of a page, as the person of its normal shot (still signed in): loading
 * (the answer held), error (the server unreachable: the full-page failure) and, for lists,
 * empty (every list answered with nothing).
 */
async function states(rel, who, options = {}, { empty = false } = {}) {
  const first = await normal(rel, who, options);
  h.calls.length = 0;
  h.transport = holding;
  const loading = open(rel);
  const pending = Promise.resolve(loading.inst.onLoad && loading.inst.onLoad(options)).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 20));
  await snap(rel, 'loading', loading);
  // Let go of the held requests and of any the page sends after (a chained load): all fail.
  h.transport = failing;
  heldCalls.splice(0).forEach((cb) => cb.fail({ errMsg: 'request:fail' }));
  await pending;
  await h.idle();

  real.use();
  real.control.down = true;
  h.calls.length = 0;
  const down = open(rel);
  if (down.inst.onLoad) await down.inst.onLoad(options);
  await h.idle();
  await snap(rel, 'error', down);
  real.control.down = false;

  if (empty) {
    h.transport = nothing;
    h.calls.length = 0;
    const none = open(rel);
    if (none.inst.onLoad) await none.inst.onLoad(options);
    await h.idle();
    await snap(rel, 'empty', none);
    real.use();
  }
  return first;
}

shot('a wish, binding, points and volunteering as a resident', async () => {
  const wishes = await normal('pages/wishes/wishes', 'dev:居民赵一', {}, 'all');
  const first = wishes.data().items && wishes.data().items[0];
  if (first) {
    const item = await normal('pages/wish-item/wish-item', 'dev:居民赵一', { id: String(first.id) });
    if (item.data().actions.claim) await withOpenModal(async () => { item.inst.claim({ currentTarget: { dataset: { role: 'volunteer' } } }); await snap('pages/wish-item/wish-item', 'confirm', item); });
  }
  await normal('pages/bind/bind', 'dev:居民赵一');
  await states('points/passbook/passbook', 'dev:居民赵一', {}, { empty: true });
  if (!demo.board) demo.board = JSON.parse((await real.send('GET', `${real.state.base}/api/v1/boards/${code}`, {}, null)).body);
  const shop = await normal('points/shop/shop', 'dev:居民赵一', { community: String(demo.board.community.id) });
  // The confirmation before 兑换, left open (not answered) to be drawn.
  const answer = wx.showModal;
  wx.showModal = (o) => { h.calls.push({ name: 'showModal', arg: o }); };
  try {
    h.calls.length = 0;
    const [item] = shop.data().items;
    if (item) {
      shop.inst.redeem({ currentTarget: { dataset: { id: item.id } } });
      await snap('points/shop/shop', 'confirm', shop);
    }
  } finally {
    wx.showModal = answer;
  }
  // What the passbook cannot pay (还差 N 分), and a shop seen without a passbook.
  fake();
  const shelf = { items: [{ id: 3, community_id: 2, name: '毛巾', category: '日用百货', description: '纯棉', price: 10, stock: 4, active: true, photo_id: null, photo_url: null }, { id: 4, community_id: 2, name: '大米 5 斤', category: '粮油副食', description: '', price: 30, stock: 2, active: true, photo_id: null, photo_url: null }], categories: ['日用百货', '粮油副食'], total: 2, page: 1, per_page: 100 };
  server.route('GET', '/shop/items', { status: 200, body: shelf });
  server.route('GET', '/points/me', { status: 200, body: { items: [{ id: 5, community_id: 2, community_name: '槐树社区', member_code: 'K7M2Q9XW3D', holder: { kind: 'user', id: 1, name: '赵一' }, balance: 12, entries: { items: [], total: 0, page: 1, per_page: 1 } }], total: 1, page: 1, per_page: 1 } });
  const short = open('points/shop/shop');
  await short.inst.onLoad({ community: '2' });
  await h.idle();
  await snap('points/shop/shop', 'short', short);
  server.route('GET', '/points/me', { status: 200, body: { items: [], total: 0, page: 1, per_page: 1 } });
  const nobook = open('points/shop/shop');
  await nobook.inst.onLoad({ community: '2' });
  await h.idle();
  await snap('points/shop/shop', 'nobook', nobook);

  await normal('volunteer/activities/activities', 'dev:居民赵一');
  await normal('volunteer/register/register', 'dev:居民赵一');
});

shot('the steward: to-do, an item, quick report, patrol, households', async () => {
  await states('steward/todo/todo', 'dev:王秀英');
  if (demo.issue) await states('steward/issue/issue', 'dev:王秀英', { id: String(demo.issue.id) });
  await normal('steward/quick/quick', 'dev:王秀英');
  await states('steward/patrol/patrol', 'dev:王秀英');
  await states('steward/households/households', 'dev:王秀英', {}, { empty: true });
  await states('steward/care/care', 'dev:王秀英', {}, { empty: true });
  fake();
  server.route('GET', '/issues', fx.page([]));
  const empty = open('steward/todo/todo');
  await empty.inst.onLoad();
  await h.idle();
  await snap('steward/todo/todo', 'empty', empty);
});

shot('the community staff: review, overdue, callbacks, an item, figures, ledger, stewards', async () => {
  await states('staff/review/review', 'dev:huaishu', {}, { empty: true });
  await states('staff/overdue/overdue', 'dev:huaishu', {}, { empty: true });
  await states('staff/callbacks/callbacks', 'dev:huaishu', {}, { empty: true });
  if (demo.issue) await states('staff/issue/issue', 'dev:huaishu', { id: String(demo.issue.id) });
  await states('staff/stats/stats', 'dev:huaishu');
  await states('staff/ledger/ledger', 'dev:huaishu', {}, { empty: true });
  await states('staff/stewards/stewards', 'dev:huaishu', {}, { empty: true });
  await normal('staff/counter/counter', 'dev:huaishu');
});

shot('the handling unit: to-do', async () => {
  await states('unit/todo/todo', 'dev:anju', {}, { empty: true });
});

shot('工作台 for a steward, staff and a unit member; a steward\'s item after 接单', async () => {
  await normal('pages/work/work', 'dev:王秀英', {}, 'steward');
  await states('pages/work/work', 'dev:王秀英');
  await normal('pages/work/work', 'dev:huaishu', {}, 'staff');
  await normal('pages/work/work', 'dev:anju', {}, 'unit');
  await normal('pages/work/work', 'dev:居民赵一', {}, 'resident');
  if (demo.issue) {
    const item = await normal('steward/issue/issue', 'dev:王秀英', { id: String(demo.issue.id) }, 'before-accept');
    if (item.data().actions.accept) {
      await item.inst.accept();
      await h.idle();
      await snap('steward/issue/issue', 'accepted', item);
    }
  }
});

/** 大字模式 (utils/textsize.js): the same pages with the switch on. */
async function large(rel, who, options = {}) {
  useReal(who);
  h.storage.set('largeText', true);
  const p = open(rel);
  if (p.inst.onLoad) await p.inst.onLoad(options);
  await h.idle();
  await snap(rel, 'large', p);
  return p;
}

shot('loading and error: report, mine, an item, wishes, a wish, the shop', async () => {
  await states('pages/report/report', 'dev:居民赵一', { code }, { empty: false });
  await states('pages/mine/mine', 'dev:居民赵一');
  if (demo.issue) await states('pages/issue/issue', 'dev:居民赵一', { id: String(demo.issue.id) });
  const wishes = await states('pages/wishes/wishes', 'dev:居民赵一');
  const first = wishes.data().items && wishes.data().items[0];
  if (first) await states('pages/wish-item/wish-item', 'dev:居民赵一', { id: String(first.id) });
  if (demo.board) await states('points/shop/shop', 'dev:居民赵一', { community: String(demo.board.community.id) }, { empty: true });
});

shot('大字模式: board, report, mine, an item, a wish, 工作台, a steward\'s item', async () => {
  await large('pages/board/board', 'dev:居民赵一', { code });
  await large('pages/report/report', 'dev:居民赵一', { code });
  await large('pages/mine/mine', 'dev:居民赵一');
  if (demo.issue) await large('pages/issue/issue', 'dev:居民赵一', { id: String(demo.issue.id) });
  const wishes = await large('pages/wishes/wishes', 'dev:居民赵一');
  const first = wishes.data().items && wishes.data().items[0];
  if (first) await large('pages/wish-item/wish-item', 'dev:居民赵一', { id: String(first.id) });
  await large('pages/work/work', 'dev:huaishu');
  await large('points/passbook/passbook', 'dev:居民赵一');
  if (demo.board) await large('points/shop/shop', 'dev:居民赵一', { community: String(demo.board.community.id) });
  await large('steward/care/care', 'dev:王秀英');
  await large('steward/todo/todo', 'dev:王秀英');
  await large('staff/review/review', 'dev:huaishu');
  await large('unit/todo/todo', 'dev:anju');
  if (demo.issue) await large('steward/issue/issue', 'dev:王秀英', { id: String(demo.issue.id) });
});

afterAll(() => {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, 'manifest.json');
  const before = ONLY && fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
  const keep = before.filter((m) => !manifest.some((n) => n.png === m.png));
  fs.writeFileSync(file, JSON.stringify([...keep, ...manifest], null, 1));
});
