/**
 * 我的包联户 (steward/households/households): the households I keep (GET /api/v1/households),
 * overdue visits first as the server orders them; pull down to refresh. Private data: only
 * my own households come back, and the server records every look.
 */
const api = require('../../utils/api');
const households = require('../../services/households');
const fmt = require('../../utils/format');

Component({
  data: { state: 'loading', error: '', items: /** @type {any[]} */ ([]), overdue: 0 },
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
      return households
        .list()
        .then((/** @type {any} */ out) => {
          const items = out.items
            .map((/** @type {any} */ h) => ({
              ...h,
              tagText: h.tags.join('、'),
              lastText: h.last_visit_at ? fmt.dateTime(h.last_visit_at) : '还没有走访',
              dueText: h.visit_due_at ? fmt.dateTime(h.visit_due_at) : '',
            }))
            // the server already sorts overdue first; keep it so even if a page is merged
            .sort((/** @type {any} */ a, /** @type {any} */ b) => (a.overdue === b.overdue ? 0 : a.overdue ? -1 : 1));
          this.setData({ state: 'ready', error: '', items, overdue: items.filter((/** @type {any} */ h) => h.overdue).length });
        })
        .catch((err) => this.setData({ state: this.data.items.length ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @param {any} e */
    onOpen(e) {
      wx.navigateTo({ url: `/steward/household/household?id=${e.currentTarget.dataset.id}` });
    },
  },
});
