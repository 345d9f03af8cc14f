/**
 * 统计 (staff/stats/stats): figures of my area for a chosen period (GET /api/v1/stats):
 * counts, 办结率 and the 三率 each with its definition and counts (e.g. 满意率 50%（1/2）), 整改率,
 * lines by category and by steward, and the wishes.
 */
const api = require('../../utils/api');
const stats = require('../../services/stats');
const fmt = require('../../utils/format');
const period = require('../../utils/period');
const { loadChoices } = require('../../utils/areas');
const textsize = require('../../behaviors/textsize');

/**
 * 办结率 counts the handler's closures; 解决率 and 满意率 the resident's word (ratings and 回访).
 * @param {any} c counts @returns {{response: string, handled: string, resolution: string, satisfaction: string}}
 */
function rates(c) {
  return {
    response: fmt.rate(c.response_rate, c.responded, c.answerable),
    handled: fmt.rate(c.handled_rate, c.solved, c.counted),
    resolution: fmt.rate(c.resolution_rate, c.confirmed_solved, c.answered),
    satisfaction: fmt.rate(c.satisfaction_rate, c.satisfied, c.answered),
  };
}

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    periods: period.PERIODS,
    key: 'month',
    dateFrom: '',
    dateTo: '',
    areas: /** @type {Array<{id: number, name: string}>} */ ([]),
    areaId: 0,
    stats: /** @type {any} */ (null),
    rates: /** @type {any} */ ({}),
    rectification: '',
    categories: /** @type {any[]} */ ([]),
    stewards: /** @type {any[]} */ ([]),
    error: '',
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.load();
    },
    onLoad() {
      const r = period.range('month');
      this.setData({ dateFrom: r.date_from, dateTo: r.date_to });
      return this.loadAreas().then(() => this.load());
    },
    /** @param {any} e */
    onPeriod(e) {
      const key = e.currentTarget.dataset.key;
      const r = period.range(key);
      this.setData({ key, dateFrom: r.date_from, dateTo: r.date_to });
      return this.load();
    },
    /** Admins of a street may pick one of its communities; nobody else sees a choice. */
    loadAreas() {
      return loadChoices(this);
    },
    /** @param {any} e */
    onArea(e) {
      this.setData({ areaId: Number(e.currentTarget.dataset.id) });
      return this.load();
    },
    /** @param {any} e */
    onFrom(e) {
      this.setData({ key: '', dateFrom: e.detail.value });
      return this.load();
    },
    /** @param {any} e */
    onTo(e) {
      this.setData({ key: '', dateTo: e.detail.value });
      return this.load();
    },
    load() {
      this.setData({ state: 'loading', error: '' });
      return stats
        .get({ areaId: this.data.areaId, dateFrom: this.data.dateFrom, dateTo: this.data.dateTo })
        .then((/** @type {any} */ s) => {
          const pct = (/** @type {number | null} */ v) => (v === null || v === undefined ? '—' : `${Math.round(v * 1000) / 10}%`);
          this.setData({
            state: 'ready',
            stats: s,
            rates: rates(s.counts),
            rectification: pct(s.rectification_rate),
            categories: s.by_category.map((/** @type {any} */ c) => ({ ...c, rates: rates(c) })),
            stewards: s.by_steward.map((/** @type {any} */ c) => ({ ...c, rates: rates(c) })),
          });
        })
        .catch((err) => this.setData({ state: 'error', error: api.messageOf(err) }));
    },
  },
});
