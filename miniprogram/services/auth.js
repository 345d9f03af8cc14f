/**
 * Who I am (/api/v1/me), binding this WeChat user to a steward or staff account with a
 * one-time code (/api/v1/auth/bind), and the developer login code of the server's offline
 * mode. Logging in itself (wx.login, tokens, the 401 retry) is utils/api.js's.
 */
const api = require('../utils/api');

/** @returns {Promise<any>} MeOut: user, roles, areas, stewards */
const me = () => api.get('/me');

/** @returns {Promise<any>} the 工作台 badges: todo, review, overdue (null without the role) */
const workbench = () => api.get('/me/workbench');

/** @param {string} code the bind code, normalised (no spaces, upper case) */
const bind = (code) => api.post('/auth/bind', { code });

/** @returns {string} the developer login code typed on 我的 ('' when none) */
const devCode = () => wx.getStorageSync(api.DEV_CODE_KEY) || '';

/**
 * Offline demo only: log in as someone else with a `dev:姓名` code ('' goes back to wx.login).
 * The next call logs in afresh.
 * @param {string} code
 */
function useDevCode(code) {
  if (code) wx.setStorageSync(api.DEV_CODE_KEY, code);
  else wx.removeStorageSync(api.DEV_CODE_KEY);
  api.logout();
}

module.exports = { me, workbench, bind, devCode, useDevCode };
