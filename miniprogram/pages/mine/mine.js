/**
 * 我的 (pages/mine/mine): my issues, my wishes and the wishes I claimed; the 工作台 entries
 * of my roles (steward, staff, a handling unit's member: 本单位待办); 绑定 (bind code). In the server's offline demo mode a login
 * code (dev:姓名) can be typed here to act as a demo steward or staff member.
 */
const api = require('../../utils/api');
const auth = require('../../services/auth');
const issues = require('../../services/issues');
const wishes = require('../../services/wishes');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');

Component({
  behaviors: [loadable],
  data: {
    tab: 'issues', // issues | wishes | claimed
    me: /** @type {any} */ (null),
    roles: /** @type {string[]} */ ([]),
    isSteward: false,
    isStaff: false,
    isUnit: false,
    roleText: '',
    issues: /** @type {any[]} */ ([]),
    wishes: /** @type {any[]} */ ([]),
    claimed: /** @type {any[]} */ ([]),
    offline: false,
    devCode: '',
    firstAlley: 0,
  },
  methods: {
    onLoad() {
      this.setData({ devCode: auth.devCode() });
      return this.load();
    },
    onShow() {
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
              isSteward: roles.includes('steward'),
              isStaff: roles.includes('staff') || roles.includes('admin'),
              isUnit: roles.includes('unit'),
              roleText: roles.map((/** @type {string} */ r) => /** @type {any} */ (names)[r] || r).join('、'),
              firstAlley: (me.stewards[0] && me.stewards[0].alley_ids[0]) || 0,
              issues: myIssues.items.map((/** @type {any} */ i) => ({ ...i, status_label: fmt.issueStatusWord(i.status, i.status_label), when: fmt.dateTime(i.created_at) })),
              wishes: myWishes.items,
              claimed: claimed.items,
            };
          }),
        );
      // Whatever happened, the answers said whether the server runs in offline mode.
      return this.loadWith(fetch, { replaceOnError: true }).then(() => this.setData({ offline: api.isOffline() }));
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
    onBehalfWish() {
      wx.navigateTo({ url: `/pages/wish/wish?behalf=1&alley_id=${this.data.firstAlley}` });
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
