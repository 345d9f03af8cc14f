/**
 * The one API client of the mini program: the transport under services/.
 *
 * - The server's origin comes from config.js and is read at every request (never cached), so
 *   a developer (or a test) can point the app elsewhere without restarting it.
 * - Login: wx.login → POST /api/v1/auth/login; the bearer token and roles are kept in storage.
 *   In the server's offline mode a developer login code (`dev:姓名`, typed on 我的) replaces the
 *   wx.login code.
 * - A 401 logs in again once and repeats the call; a second 401 is shown as its message. One
 *   helper does this for requests, uploads and downloads (withToken).
 * - Pages do not call this module's HTTP functions: the modules of services/ do, one per
 *   resource, and they alone know the API's paths and query parameters.
 * - Every error is an ApiError carrying the server's Chinese `message` and `fields`; network
 *   failures and non-JSON answers get a Chinese message of their own.
 * - A response with the `X-Offline-Mode` header marks the app as offline (a banner says so).
 */
const config = require('../config');

const TOKEN_KEY = 'token';
const ROLES_KEY = 'roles';
const DEV_CODE_KEY = 'devLoginCode';
const PREFIX = '/api/v1';

/** Error raised for every failed call; `message` is always Chinese and fit to show. */
class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the server could not be reached)
   * @param {string} code snake_case error code
   * @param {string} message Chinese message for people
   * @param {Record<string, string>} [fields] per-field messages
   */
  constructor(status, code, message, fields) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields || {};
  }
}

// Said wherever a call fails to reach the server; a page with a form adds KEPT_MESSAGE
// (formMessageOf), a page that only shows something must not promise it kept anything.
const NETWORK_MESSAGE = '网络不通，连不上服务器。请检查网络后再试。';
const KEPT_MESSAGE = '填写的内容已保留。';
const SERVER_MESSAGE = '服务器出了点问题，请稍后再试。';
// A photo refused for its size before it reached the app (the proxy's own 413 page is not
// our JSON envelope): say what to do, as the app's own 413 would.
const PHOTO_TOO_LARGE = '照片太大，传不上去。请换一张，或拍照时选小一点的尺寸（单张不超过 10 MB）。';

/** @type {{offline: boolean, listeners: Array<(offline: boolean) => void>}} */
const state = { offline: false, listeners: [] };

/** @returns {string} the server origin, read now from config.js */
function base() {
  return String(config.API_BASE || '').replace(/\/+$/, '');
}

/** @param {string} path an API path such as '/issues' @returns {string} the full URL */
function url(path) {
  if (/^https?:\/\//.test(path)) return path;
  if (path.startsWith('/api/') || path.startsWith('/media/')) return base() + path;
  return base() + PREFIX + path;
}

/** @param {Record<string, any> | undefined} header */
function noteOfflineHeader(header) {
  if (!header) return;
  const offline = Object.keys(header).some(
    (k) => k.toLowerCase() === 'x-offline-mode' && String(header[k]) === '1',
  );
  if (offline !== state.offline) {
    state.offline = offline;
    state.listeners.forEach((fn) => fn(offline));
  }
}

/** @returns {boolean} whether the server said it runs in offline (demo) mode */
function isOffline() {
  return state.offline;
}

/** @param {(offline: boolean) => void} fn @returns {() => void} unsubscribe */
function onOfflineChange(fn) {
  state.listeners.push(fn);
  return () => {
    state.listeners = state.listeners.filter((f) => f !== fn);
  };
}

/**
 * Turn a finished wx call's status and body into data or an ApiError.
 * @param {number} status
 * @param {any} body parsed JSON (or a string when the server did not answer JSON)
 */
function settle(status, body) {
  if (typeof body === 'string' && body) {
    try {
      body = JSON.parse(body);
    } catch (e) {
      /* not JSON: handled below */
    }
  }
  if (status >= 200 && status < 300) return body;
  if (body && typeof body === 'object' && body.error) {
    const err = body.error;
    throw new ApiError(status, err.code || 'error', err.message || SERVER_MESSAGE, err.fields);
  }
  throw new ApiError(status, 'server_error', SERVER_MESSAGE);
}

/**
 * One wx.request as a promise.
 * @param {{method?: string, path: string, data?: any, token?: string}} opts
 * @returns {Promise<{status: number, body: any}>}
 */
function rawRequest(opts) {
  return new Promise((resolve, reject) => {
    /** @type {Record<string, string>} */
    const header = { 'content-type': 'application/json' };
    if (opts.token) header.Authorization = `Bearer ${opts.token}`;
    wx.request({
      url: url(opts.path),
      method: /** @type {any} */ (opts.method || 'GET'),
      data: opts.data,
      header,
      dataType: 'json',
      success(res) {
        noteOfflineHeader(res.header);
        resolve({ status: res.statusCode, body: res.data });
      },
      fail() {
        reject(new ApiError(0, 'network', NETWORK_MESSAGE));
      },
    });
  });
}

/** @returns {Promise<string>} a wx.login code, or the developer login code in offline mode */
function loginCode() {
  const dev = wx.getStorageSync(DEV_CODE_KEY);
  if (dev) return Promise.resolve(String(dev));
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => resolve(res.code),
      fail: () => reject(new ApiError(0, 'login_failed', '微信登录失败，请重新打开小程序再试。')),
    });
  });
}

/** @type {Promise<any> | null} */
let pendingLogin = null;

/** Log in now (replacing any token). @returns {Promise<{token: string, roles: string[]}>} */
function login() {
  if (pendingLogin) return pendingLogin;
  pendingLogin = loginCode()
    .then((code) => rawRequest({ method: 'POST', path: '/auth/login', data: { code } }))
    .then(({ status, body }) => {
      const out = settle(status, body);
      wx.setStorageSync(TOKEN_KEY, out.token);
      wx.setStorageSync(ROLES_KEY, out.roles || []);
      return out;
    })
    .finally(() => {
      pendingLogin = null;
    });
  return pendingLogin;
}

/** @returns {Promise<string>} a token, logging in first when there is none */
function ensureLogin() {
  const token = wx.getStorageSync(TOKEN_KEY);
  if (token) return Promise.resolve(String(token));
  return login().then((out) => out.token);
}

/** Forget the login (a new wx.login happens on the next call). */
function logout() {
  wx.removeStorageSync(TOKEN_KEY);
  wx.removeStorageSync(ROLES_KEY);
}

/** @returns {string[]} roles from the last login or /me */
function roles() {
  const r = wx.getStorageSync(ROLES_KEY);
  return Array.isArray(r) ? r : [];
}

/**
 * The one token-retry path of every authenticated call (request, upload, download): run
 * `send` with the stored token (logging in first when there is none); when it answers 401
 * the token was revoked or expired, so drop it, log in again and run `send` once more with
 * the new token. That second answer is final, whatever it is: a second 401 is shown as its
 * message, never retried again. Any other answer, and any rejection, passes through as is.
 * @template {{status: number}} T
 * @param {(token: string) => Promise<T>} send one attempt; resolves with the HTTP status
 * @returns {Promise<T>}
 */
function withToken(send) {
  return ensureLogin()
    .then(send)
    .then((answer) => {
      if (answer.status !== 401) return answer;
      wx.removeStorageSync(TOKEN_KEY);
      return login().then((out) => send(out.token));
    });
}

/**
 * Call the API. Resolves with the parsed body, rejects with an ApiError.
 * @param {string} method
 * @param {string} path e.g. '/issues/3/accept'
 * @param {any} [data]
 * @param {{auth?: boolean}} [opts] auth: false for public routes (boards, wish wall)
 * @returns {Promise<any>}
 */
function request(method, path, data, opts) {
  const auth = !opts || opts.auth !== false;
  const answer = auth
    ? withToken((token) => rawRequest({ method, path, data, token }))
    : rawRequest({ method, path, data });
  return answer.then(({ status, body }) => settle(status, body));
}

/** @param {Record<string, any>} [query] @returns {string} '?a=1&b=2' or '' */
function qs(query) {
  if (!query) return '';
  const parts = Object.keys(query)
    .filter((k) => query[k] !== undefined && query[k] !== null && query[k] !== '')
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(query[k])}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

const get = (/** @type {string} */ path, /** @type {any} */ query, /** @type {any} */ opts) =>
  request('GET', path + qs(query), undefined, opts);
const post = (/** @type {string} */ path, /** @type {any} */ data, /** @type {any} */ opts) =>
  request('POST', path, data || {}, opts);

/**
 * Upload one file (multipart field `file`) with the bearer token. Every upload of this app
 * is a photo, hence the network message.
 * @param {string} path e.g. '/media'
 * @param {string} filePath local temp path from wx.chooseMedia
 * @param {(percent: number) => void} [onProgress]
 * @returns {Promise<any>} the parsed answer
 */
function upload(path, filePath, onProgress) {
  const once = (/** @type {string} */ token) =>
    /** @type {Promise<{status: number, body: any}>} */ (
      new Promise((resolve, reject) => {
        const task = wx.uploadFile({
          url: url(path),
          filePath,
          name: 'file',
          header: { Authorization: `Bearer ${token}` },
          success(res) {
            noteOfflineHeader(/** @type {any} */ (res).header);
            resolve({ status: res.statusCode, body: res.data });
          },
          fail() {
            reject(new ApiError(0, 'network', '照片上传失败：网络不通，请点照片重试。'));
          },
        });
        if (task && onProgress) task.onProgressUpdate((p) => onProgress(p.progress));
      })
    );
  return withToken(once).then(({ status, body }) => {
    try {
      return settle(status, body);
    } catch (err) {
      if (status === 413 && err instanceof ApiError && err.code === 'server_error') {
        throw new ApiError(413, 'file_too_large', PHOTO_TOO_LARGE);
      }
      throw err;
    }
  });
}

/**
 * Download a file the API serves (the ledger, the certificate) with the bearer token.
 * @param {string} path e.g. '/ledger.xlsx'
 * @param {Record<string, any>} [query] its query (empty values are left out)
 * @returns {Promise<string>} the temp file path
 */
function download(path, query) {
  const once = (/** @type {string} */ token) =>
    /** @type {Promise<{status: number, tempFilePath: string}>} */ (
      new Promise((resolve, reject) => {
        wx.downloadFile({
          url: url(path + qs(query)),
          header: { Authorization: `Bearer ${token}` },
          success: (res) => resolve({ status: res.statusCode, tempFilePath: res.tempFilePath }),
          fail: () => reject(new ApiError(0, 'network', NETWORK_MESSAGE)),
        });
      })
    );
  return withToken(once).then(({ status, tempFilePath }) => {
    if (status >= 200 && status < 300) return tempFilePath;
    // A refusal comes as the JSON error envelope, written to the temp file.
    let body = null;
    try {
      body = wx.getFileSystemManager().readFileSync(tempFilePath, 'utf8');
    } catch (e) {
      body = null;
    }
    return settle(status, body);
  });
}

/** @param {any} err @returns {string} a Chinese message for any thrown thing */
function messageOf(err) {
  if (err instanceof ApiError) return err.message;
  if (err && err.message && /[\u4e00-\u9fa5]/.test(err.message)) return err.message;
  return SERVER_MESSAGE;
}

/**
 * messageOf for a page with a form: when the server could not be reached, also say that what
 * was typed is still there (the page keeps it), so nobody types it all again.
 * @param {any} err
 * @returns {string}
 */
function formMessageOf(err) {
  const message = messageOf(err);
  return err instanceof ApiError && err.status === 0 && err.code === 'network' ? message + KEPT_MESSAGE : message;
}

module.exports = {
  ApiError,
  request,
  withToken,
  get,
  post,
  qs,
  upload,
  download,
  login,
  ensureLogin,
  logout,
  roles,
  isOffline,
  onOfflineChange,
  messageOf,
  formMessageOf,
  url,
  DEV_CODE_KEY,
  TOKEN_KEY,
  NETWORK_MESSAGE,
  KEPT_MESSAGE,
};
