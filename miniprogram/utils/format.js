/**
 * Small pure helpers for what pages show: grouped phone numbers, local dates, rates with
 * their counts, category and rating words, full media URLs, board codes from a scan.
 */
const api = require('./api');

/** Issue categories (the server's default ISSUE_CATEGORIES; an unknown one is refused by the API). */
const CATEGORIES = [
  '环境卫生',
  '车辆乱停',
  '私拉电线/安全隐患',
  '设施损坏',
  '邻里纠纷',
  '助老帮残',
  '治安巡防',
  '政策咨询',
  '其他',
];

const BENEFICIARY_TYPES = [
  { value: 'elderly', label: '独居/困难老人' },
  { value: 'disabled', label: '残疾人' },
  { value: 'children', label: '困境/留守儿童' },
  { value: 'hardship', label: '突发困难家庭' },
  { value: 'other', label: '其他' },
];

const RATING_WORDS = ['很不满意', '不满意', '一般', '满意', '很满意'];

const RESOLUTION_LEVELS = ['现场解决', '上报社区', '联合处置'];

/**
 * How an item was closed (`outcome` of POST /issues/{id}/resolve); the resolve form asks for
 * one explicitly. A duplicate is merged by staff, not offered here. `reason`: the note must
 * say why (answered, unsolvable).
 */
const OUTCOMES = [
  { value: 'solved', label: '已解决' },
  { value: 'answered', label: '已答复（政策解释）', reason: true },
  { value: 'not_ours', label: '不属于职责（转出）' },
  { value: 'unsolvable', label: '无法解决', reason: true },
];

const PRIORITIES = [
  { value: 'ordinary', label: '一般（2 天）' },
  { value: 'important', label: '重要（3 天）' },
  { value: 'major', label: '重大（10 天）' },
];

/**
 * 17000000101 → '170 0000 0101' (mobile 3-4-4); landlines keep their own dashes.
 * @param {string | null | undefined} phone
 */
function groupPhone(phone) {
  if (!phone) return '';
  const digits = String(phone).replace(/\s+/g, '');
  if (/^1\d{10}$/.test(digits)) return `${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}`;
  return digits;
}

/** @param {number} n two digits: 7 → '07' */
const pad = (n) => (n < 10 ? `0${n}` : String(n));

/**
 * '2026-11-22T08:30:00+08:00' → '11月22日 08:30' (the wall-clock time the server wrote).
 * @param {string | null | undefined} iso
 */
function dateTime(iso) {
  if (!iso) return '';
  const m = String(iso).match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/);
  if (!m) return String(iso);
  return `${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}`;
}

/**
 * '2026-12-09T18:00:00+08:00' → '12月9日' (the day of a deadline, as promised to a resident).
 * @param {string | null | undefined} iso
 */
function monthDay(iso) {
  if (!iso) return '';
  const m = String(iso).match(/^\d{4}-(\d{2})-(\d{2})/);
  return m ? `${Number(m[1])}月${Number(m[2])}日` : '';
}

/**
 * What an issue's status is called in the mini program. The server names a closed item 已完结 and a
 * resolved one 已办结; to a resident both are done, and two words for one thing read as two
 * different outcomes, so the app says 已办结 for both (whether it was rated shows apart).
 * @param {string | null | undefined} status the machine status
 * @param {string | null | undefined} label the server's label
 */
function issueStatusWord(status, label) {
  if (status === 'closed' || status === 'resolved') return '已办结';
  return label || '';
}

/**
 * The status as a resident reads it. 已吹哨 is the office's word for 吹哨报到 (the community called
 * a department in); to the person who reported it what matters is who is working on it now.
 * Staff, stewards and units keep the office words (issueStatusWord).
 */
const RESIDENT_STATUS_WORDS = /** @type {Record<string, string>} */ ({
  whistled: '相关部门处理中',
  escalated: '社区处理中',
});

/**
 * @param {string | null | undefined} status the machine status
 * @param {string | null | undefined} label the server's label
 * @returns {string}
 */
function residentStatusWord(status, label) {
  return (status && RESIDENT_STATUS_WORDS[status]) || issueStatusWord(status, label);
}

/**
 * The content check's verdict in words (staff see it on a held item; the machine word —
 * review, risky, failed — is never shown).
 */
const VERDICT_WORDS = /** @type {Record<string, string>} */ ({
  review: '微信内容检查拿不准，请人工看一看',
  risky: '微信内容检查认为可能有不宜公开的内容',
  failed: '内容检查没有做成（微信接口出错），请人工看一看',
});

/** @param {string | null | undefined} verdict @returns {string} '' for a pass */
function verdictWord(verdict) {
  if (!verdict || verdict === 'pass') return '';
  return VERDICT_WORDS[verdict] || '需要人工看一看';
}

/**
 * A rate with its counts, e.g. rate(0.5, 1, 2) → '50%（1/2）'; no denominator → '—（0/0）'.
 * @param {number | null | undefined} value
 * @param {number} part
 * @param {number} whole
 */
function rate(value, part, whole) {
  if (value === null || value === undefined || !whole) return `—（${part || 0}/${whole || 0}）`;
  const pct = Math.round(value * 1000) / 10;
  return `${pct}%（${part}/${whole}）`;
}

/** @param {string | null | undefined} path a server-relative media path */
function mediaUrl(path) {
  if (!path) return '';
  return api.url(path);
}

/** @param {Array<{url: string, thumb_url: string}> | null | undefined} photos */
function photoUrls(photos) {
  return (photos || []).map((p) => ({ url: mediaUrl(p.url), thumb: mediaUrl(p.thumb_url) }));
}

/**
 * The board code of a scan: `q` is the scanned URL, URL-encoded once by WeChat (decode it
 * exactly once); `code` is used when the page was navigated to with ?code=.
 * @param {{q?: string, code?: string}} options
 * @returns {string}
 */
function boardCodeFrom(options) {
  const q = options && options.q ? decodeURIComponent(options.q) : '';
  const m = q.match(/\/b\/([A-Za-z0-9]+)\/?(?:[?#].*)?$/);
  if (m) return m[1];
  return options && options.code ? String(options.code).trim() : '';
}

module.exports = {
  CATEGORIES,
  BENEFICIARY_TYPES,
  RATING_WORDS,
  RESOLUTION_LEVELS,
  OUTCOMES,
  PRIORITIES,
  groupPhone,
  dateTime,
  monthDay,
  issueStatusWord,
  residentStatusWord,
  verdictWord,
  pad,
  rate,
  mediaUrl,
  photoUrls,
  boardCodeFrom,
};
