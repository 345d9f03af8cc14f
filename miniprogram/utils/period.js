/**
 * Periods staff pick for figures and the ledger: 本月, 上月, 近 7 天, 今年, as local
 * YYYY-MM-DD date_from / date_to pairs (both days included, as the API counts them).
 */
const fmt = require('./format');

const PERIODS = [
  { key: 'month', label: '本月' },
  { key: 'last_month', label: '上月' },
  { key: 'week', label: '近 7 天' },
  { key: 'year', label: '今年' },
];

/**
 * @param {string} key one of PERIODS' keys
 * @param {Date} [now]
 * @returns {{date_from: string, date_to: string}}
 */
function range(key, now) {
  const today = now || new Date();
  const y = today.getFullYear();
  const m = today.getMonth();
  if (key === 'last_month') return { date_from: fmt.ymd(new Date(y, m - 1, 1)), date_to: fmt.ymd(new Date(y, m, 0)) };
  if (key === 'week') return { date_from: fmt.ymd(new Date(y, m, today.getDate() - 6)), date_to: fmt.ymd(today) };
  if (key === 'year') return { date_from: fmt.ymd(new Date(y, 0, 1)), date_to: fmt.ymd(today) };
  return { date_from: fmt.ymd(new Date(y, m, 1)), date_to: fmt.ymd(today) };
}

module.exports = { PERIODS, range };
