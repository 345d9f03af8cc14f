/**
 * 我的 (pages/mine/mine): first my own items and their status (my issues, my wishes, the
 * wishes I claimed); for a steward, staff or a unit's member the way to 工作台 (its own tab,
 * pages/work/work); then who I am, the 大字模式 switch (utils/textsize.js, remembered) and
 * 绑定 (bind code) — not offered to someone already bound. In the server's offline demo mode a
 * login code (dev:姓名) can be typed here to act as a demo steward or staff member.
 */
const api = require('../../utils/api');
const auth = require('../../services/auth');
const issues = require('../../services/issues');
const wishes = require('../../services/wishes');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const textsizeMode = require('../../utils/textsize');
const tabbar = require('../../utils/tabbar');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: {
    tab: 'issues', // issues | wishes | claimed
    me: /** @type {any} */ (null),
    roles: /** @type {string[]} */ ([]),
    bound: false, // a steward, staff or unit identity is bound: 绑定 is not offered again
    largeText: false,
    roleText: '',
    issues: /** @type {any[]} */ ([]),
    wishes: /** @type {any[]} */ ([]),
    claimed: /** @type {any[]} */ ([]),
    offline: false,
    devCode: '',
  },
  methods: {
    onLoad() {
      this.setData({ devCode: auth.devCode(), largeText: textsizeMode.isLarge() });
      return this.load();
    },
    onShow() {
      tabbar.showTab(this, '/pages/mine/mine');
      if (this.data.state === 'ready') return this.load();
      return Promise.resolve();
    },
    load() {
      const fetch = () =>
        auth.me().then((/** @type {any} */ me) =>
          Promise.all([issues.mine(), wishes.mine(), wishes.claimed()]).then(([myIssues, myWishes, claimed]) => {
            const roles = me.roles || [];
            wx.setStorageSync('roles', roles);
            const names = { resident: '居民', steward: '小巷管家', staff: '社区工作人员', admin: '街道管理员', unit: '承办单位成员' };
            return {
              me,
              roles,
              bound: roles.some((/** @type {string} */ r) => r !== 'resident'),
              roleText: roles.map((/** @type {string} */ r) => /** @type {any} */ (names)[r] || r).join('、'),
              issues: myIssues.items.map((/** @type {any} */ i) => ({ ...i, status_label: fmt.residentStatusWord(i.status, i.status_label), when: fmt.dateTime(i.created_at) })),
              wishes: myWishes.items,
              claimed: claimed.items,
            };
          }),
        );
      // Whatever happened, the answers said whether the server runs in offline mode.
      return this.loadWith(fetch, { replaceOnError: true }).then(() => this.setData({ offline: api.isOffline() }));
    },
    /** 大字模式 switched: remembered, and this page follows at once (the others when shown). @param {any} e */
    onLargeText(e) {
      const on = !!e.detail.value;
      textsizeMode.setLarge(on);
      this.setData({ largeText: on });
      /** @type {any} */ (this).applyTextSize();
    },
    /** @param {any} e */
    onTab(e) {
      this.setData({ tab: e.currentTarget.dataset.tab });
    },
    /** @param {any} e */
    onOpenIssue(e) {
      wx.navigateTo({ url: `/pages/issue/issue?id=${e.currentTarget.dataset.id}` });
    },
    /** @param {any} e */
    onOpenWish(e) {
      wx.navigateTo({ url: `/pages/wish-item/wish-item?id=${e.currentTarget.dataset.id}` });
    },
    /** @param {any} e */
    onGo(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },
    onWork() {
      tabbar.go('/pages/work/work');
    },
    /** @param {any} e */
    onDevCode(e) {
      this.setData({ devCode: e.detail.value });
    },
    /** Offline demo only: log in again with the typed dev:姓名 code. */
    onDevLogin() {
      auth.useDevCode(this.data.devCode.trim());
      this.setData({ state: 'loading' });
      return this.load();
    },
  },
});
