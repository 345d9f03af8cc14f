/**
 * 我的包联户 (steward/households/households): the households I keep (GET /api/v1/households),
 * overdue visits first as the server orders them; pull down to refresh. Private data: only
 * my own households come back, and the server records every look.
 */
const households = require('../../services/households');
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
        households.list().then((/** @type {any} */ out) => {
          const items = out.items
            .map((/** @type {any} */ h) => ({
              ...h,
              tagText: h.tags.join('、'),
              lastText: h.last_visit_at ? fmt.dateTime(h.last_visit_at) : '还没有走访',
              dueText: h.visit_due_at ? fmt.dateTime(h.visit_due_at) : '',
            }))
            // the server already sorts overdue first; keep it so even if a page is merged
            .sort((/** @type {any} */ a, /** @type {any} */ b) => (a.overdue === b.overdue ? 0 : a.overdue ? -1 : 1));
          return { items, overdue: items.filter((/** @type {any} */ h) => h.overdue).length };
        });
      return this.loadWith(fetch);
    },
    /** @param {any} e */
    onOpen(e) {
      wx.navigateTo({ url: `/steward/household/household?id=${e.currentTarget.dataset.id}` });
    },
  },
});
