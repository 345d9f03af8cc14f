/**
 * 超期诉求 (staff/overdue/overdue): open issues of my area past their deadline, oldest
 * deadline first; tapping one opens the staff item page.
 */
const api = require('../../utils/api');
const issues = require('../../services/issues');
const fmt = require('../../utils/format');

Component({
  data: { state: 'loading', error: '', items: /** @type {any[]} */ ([]) },
  methods: {
    onLoad() {
      return this.load();
    },
    onShow() {
      return this.data.state === 'ready' ? this.load() : Promise.resolve();
    },
    onPullDownRefresh() {
      const done = () => wx.stopPullDownRefresh();
      return this.load().then(done, done);
    },
    load() {
      if (this.data.state !== 'ready') this.setData({ state: 'loading' });
      return issues
        .overdueInArea()
        .then((/** @type {any} */ out) =>
          this.setData({
            state: 'ready',
            error: '',
            items: out.items
              .map((/** @type {any} */ i) => ({
                ...i,
                deadlineText: fmt.dateTime(i.deadline),
                stewardNames: (i.stewards || []).map((/** @type {any} */ s) => s.name).join('、'),
              }))
              .sort((/** @type {any} */ a, /** @type {any} */ b) => String(a.deadline).localeCompare(String(b.deadline))),
          }),
        )
        .catch((err) => this.setData({ state: this.data.state === 'ready' ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @param {any} e */
    onOpen(e) {
      wx.navigateTo({ url: `/staff/issue/issue?id=${e.currentTarget.dataset.id}` });
    },
  },
});
