/**
 * 工作台 (pages/work/work, a tab for stewards, staff and units' members): the entries of each
 * role the person holds, the ones with work waiting first and marked with their count from
 * GET /me/workbench (待办, 待审核, 超期). Someone without such a role who opens it anyway (a
 * forwarded link, a role just revoked) is told what it is for and offered 绑定.
 */
const auth = require('../../services/auth');
const loadable = require('../../behaviors/loadable');
const tabbar = require('../../utils/tabbar');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: {
    isSteward: false,
    isStaff: false,
    isUnit: false,
    counts: /** @type {any} */ ({ todo: null, review: null, overdue: null }),
    firstAlley: 0,
  },
  methods: {
    onLoad() {
      return this.load();
    },
    onShow() {
      tabbar.showTab(this, '/pages/work/work');
      if (this.data.state === 'ready') return this.load();
      return Promise.resolve();
    },
    load() {
      const fetch = () =>
        Promise.all([auth.me(), auth.workbench()]).then(([/** @type {any} */ me, /** @type {any} */ counts]) => {
          const roles = me.roles || [];
          wx.setStorageSync('roles', roles);
          return {
            isSteward: roles.includes('steward'),
            isStaff: roles.includes('staff') || roles.includes('admin'),
            isUnit: roles.includes('unit'),
            counts,
            firstAlley: (me.stewards[0] && me.stewards[0].alley_ids[0]) || 0,
          };
        });
      return this.loadWith(fetch, { replaceOnError: true });
    },
    /** @param {any} e */
    onGo(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },
    onBehalfWish() {
      wx.navigateTo({ url: `/pages/wish/wish?behalf=1&alley_id=${this.data.firstAlley}` });
    },
  },
});
