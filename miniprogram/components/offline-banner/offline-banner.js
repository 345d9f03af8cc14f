/**
 * The offline banner: shown while the server answers with `X-Offline-Mode` (the demo mode
 * without WeChat credentials), so nobody mistakes the demo for the real service.
 */
const api = require('../../utils/api');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  options: { addGlobalClass: true }, // the large-text class of app.wxss
  data: { offline: false },
  lifetimes: {
    attached() {
      this.setData({ offline: api.isOffline() });
      /** @type {any} */ (this).unsubscribe = api.onOfflineChange((offline) => this.setData({ offline }));
    },
    detached() {
      const self = /** @type {any} */ (this);
      if (self.unsubscribe) self.unsubscribe();
    },
  },
});
