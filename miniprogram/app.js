/**
 * App entry: logs in on launch (wx.login → POST /api/v1/auth/login) so the first page that
 * needs a token finds one; failures are left to the page that needs the login, which shows
 * the message. Pages are Component({...}) pages and never rely on anything kept here.
 */
const api = require('./utils/api');

App({
  globalData: {},
  onLaunch() {
    api.ensureLogin().catch(() => {
      /* shown by the first page that needs it */
    });
  },
});
