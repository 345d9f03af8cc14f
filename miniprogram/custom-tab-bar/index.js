/**
 * The custom tab bar (app.json tabBar.custom): WeChat's own bar cannot hide a tab from some
 * people, and 工作台 is only for stewards, staff and units' members. It shows 首页, 我的 and,
 * for them, 工作台 with a badge of what waits (utils/tabbar.js). Large text follows 大字模式.
 */
const api = require('../utils/api');
const auth = require('../services/auth');
const tabbar = require('../utils/tabbar');
const textsize = require('../behaviors/textsize');

Component({
  behaviors: [textsize],
  options: { addGlobalClass: true },
  data: {
    route: '',
    tabs: /** @type {any[]} */ (tabbar.tabsFor([])),
  },
  methods: {
    /**
     * Mark the tab of `route` and show the tabs of the person's roles; with 工作台, ask for
     * its badge (a failure leaves the badge off: the bar is never in the way).
     * @param {string} route
     * @returns {Promise<void>}
     */
    refresh(route) {
      const roles = api.roles();
      const tabs = tabbar.tabsFor(roles).map((t) => ({ ...t, badge: '' }));
      this.setData({ route, tabs });
      /** @type {any} */ (this).applyTextSize();
      if (!tabbar.hasWorkbench(roles)) return Promise.resolve();
      return auth.workbench().then(
        (/** @type {any} */ counts) => {
          const shown = this.data.tabs.map((t) => (t.roles ? { ...t, badge: tabbar.badgeOf(counts) } : t));
          this.setData({ tabs: shown });
        },
        () => undefined,
      );
    },
    /** @param {any} e */
    onSwitch(e) {
      const path = e.currentTarget.dataset.path;
      if (path !== this.data.route) tabbar.go(path);
    },
  },
});
