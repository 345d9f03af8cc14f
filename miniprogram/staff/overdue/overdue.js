/**
 * 超期诉求 (staff/overdue/overdue): open issues of my area past their deadline, oldest
 * deadline first; tapping one opens the staff item page.
 */
const issues = require('../../services/issues');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: { items: /** @type {any[]} */ ([]) },
  methods: {
    onLoad() {
      return this.load();
    },
    onShow() {
      return this.data.state === 'ready' ? this.load() : Promise.resolve();
    },
    load() {
      const fetch = () =>
        issues.overdueInArea().then((/** @type {any} */ out) => ({
          items: out.items
            .map((/** @type {any} */ i) => ({
              ...i,
              deadlineText: fmt.dateTime(i.deadline),
              stewardNames: (i.stewards || []).map((/** @type {any} */ s) => s.name).join('、'),
            }))
            .sort((/** @type {any} */ a, /** @type {any} */ b) => String(a.deadline).localeCompare(String(b.deadline))),
        }));
      return this.loadWith(fetch);
    },
    /** @param {any} e */
    onOpen(e) {
      wx.navigateTo({ url: `/staff/issue/issue?id=${e.currentTarget.dataset.id}` });
    },
  },
});
