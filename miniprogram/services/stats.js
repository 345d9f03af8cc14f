/**
 * Figures (统计, /api/v1/stats): counts, the 三率 with their counts, 整改率, by category and by
 * steward, for an area (mine when none is given) and a period.
 */
const api = require('../utils/api');

/** @param {{areaId?: number, dateFrom: string, dateTo: string}} of */
const get = ({ areaId, dateFrom, dateTo }) => api.get('/stats', { area_id: areaId || null, date_from: dateFrom, date_to: dateTo });

module.exports = { get };
