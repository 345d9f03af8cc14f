/**
 * Handling units (承办单位, /api/v1/units): the departments and property companies staff
 * whistle to (吹哨), and for a unit member the units they act for. What a unit does with an
 * item (报到, 进展, 延期, 退回, 办结) are issue steps: services/issues.js.
 */
const api = require('../utils/api');

/** Active units: staff see their street's and communities'; a member sees their own. */
const list = () => api.get('/units', { per_page: 100 });

module.exports = { list };
