/**
 * 回访 (/api/v1/callbacks, staff): closed items whose resident has not rated them, with the
 * resident's phone, and each community's progress this month; recording a callback; reopening
 * an item the resident called 不满意 (POST /issues/{id}/reopen, staff).
 */
const api = require('../utils/api');

/** @param {number} [areaId] */
const waiting = (areaId) => api.get('/callbacks', { area_id: areaId || null, per_page: 50 });

/** @param {number} id @param {string} result @param {string} note */
const record = (id, result, note) => api.post(`/issues/${id}/callback`, { result, note: note || null });

/** @param {number} id @param {string} note */
const reopen = (id, note) => api.post(`/issues/${id}/reopen`, { note });

module.exports = { waiting, record, reopen };
