/**
 * Stewards and bind codes (/api/v1/stewards, /api/v1/bind-codes): staff hand out a one-time
 * code that binds a WeChat user to a steward (or a colleague's staff account), and record a
 * steward's leaving (离任).
 */
const api = require('../utils/api');

/** A bind code for a steward. @param {number} stewardId */
const bindCode = (stewardId) => api.post('/bind-codes', { steward_id: stewardId });

/** A bind code for a colleague's staff account. @param {string} username their console login */
const staffBindCode = (username) => api.post('/bind-codes', { staff_username: username });

/** 离任: access stops at once; answers how many open issues need reassigning. @param {number} id @param {string} reason */
const dismiss = (id, reason) => api.post(`/stewards/${id}/dismiss`, { reason });

module.exports = { bindCode, staffBindCode, dismiss };
