/**
 * Care alerts (关怀提醒, /api/v1/care-alerts): my own lists of the newest alerts, and answering
 * one household of a list (已联系 / 已上门 / 需帮助). Private data: the server returns only my
 * own households and records every look.
 */
const api = require('../utils/api');

/** 我的关怀名单: the newest alerts with my households on them. */
const mine = () => api.get('/care-alerts/mine');

/**
 * Answer household `seq` of alert `alertId`.
 * @param {number} alertId @param {number} seq
 * @param {'contacted'|'visited'|'needs_help'} result @param {string} note
 */
const answer = (alertId, seq, result, note) => api.post(`/care-alerts/${alertId}/answers`, { seq, result, note });

module.exports = { mine, answer };
