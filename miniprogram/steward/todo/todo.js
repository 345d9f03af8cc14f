/**
 * 管家待办 (steward/todo/todo): the open issues assigned to me, overdue first, then by
 * deadline; pull down to refresh. Tapping one opens the steward's item page.
 */
const issues = require('../../services/issues');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: { items: /** @type {any[]} */ ([]), overdue: 0 },
  methods: {
    onLoad() {
      return this.load();
    },
    onShow() {
      return this.data.state === 'ready' ? this.load() : Promise.resolve();
    },
    load() {
      const fetch = () =>
        issues.assigned().then((/** @type {any} */ out) => {
          const items = out.items
            .map((/** @type {any} */ i) => ({ ...i, deadlineText: fmt.dateTime(i.deadline), when: fmt.dateTime(i.created_at) }))
            .sort((/** @type {any} */ a, /** @type {any} */ b) =>
              a.overdue !== b.overdue ? (a.overdue ? -1 : 1) : String(a.deadline).localeCompare(String(b.deadline)),
            );
          return { items, overdue: items.filter((/** @type {any} */ i) => i.overdue).length };
        });
      return this.loadWith(fetch);
    },
    /** @param {any} e */
    onOpen(e) {
      wx.navigateTo({ url: `/steward/issue/issue?id=${e.currentTarget.dataset.id}` });
    },
  },
});
