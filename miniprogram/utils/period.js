/**
 * Periods staff pick for figures and the ledger: 本月, 上月, 近 7 天, 今年, as
 * Asia/Shanghai YYYY-MM-DD date_from / date_to pairs (both days included, as the API counts them).
 */
const fmt = require('./format');

const PERIODS = [
  { key: 'month', label: '本月' },
  { key: 'last_month', label: '上月' },
  { key: 'week', label: '近 7 天' },
  { key: 'year', label: '今年' },
];

/** Asia/Shanghai is UTC+8 all year (no daylight saving), whatever the phone's own zone. */
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

/** @param {number} y @param {number} m 0-based month, may overflow @param {number} d may be 0 or negative */
const day = (y, m, d) => {
  const t = new Date(Date.UTC(y, m, d));
  return `${t.getUTCFullYear()}-${fmt.pad(t.getUTCMonth() + 1)}-${fmt.pad(t.getUTCDate())}`;
};

/**
 * The range of a period that ends today, where "today" is the date in Asia/Shanghai: the
 * server counts days there, and a phone or test runner set to another zone must not cut the
 * last hours of the day off the range.
 * @param {string} key one of PERIODS' keys
 * @param {Date} [now]
 * @returns {{date_from: string, date_to: string}}
 */
function range(key, now) {
  const local = new Date((now || new Date()).getTime() + SHANGHAI_OFFSET_MS);
  const y = local.getUTCFullYear();
  const m = local.getUTCMonth();
  const d = local.getUTCDate();
  const today = day(y, m, d);
  if (key === 'last_month') return { date_from: day(y, m - 1, 1), date_to: day(y, m, 0) };
  if (key === 'week') return { date_from: day(y, m, d - 6), date_to: today };
  if (key === 'year') return { date_from: day(y, 0, 1), date_to: today };
  return { date_from: day(y, m, 1), date_to: today };
}

module.exports = { PERIODS, range };
