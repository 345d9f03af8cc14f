/**
 * The ledger (台账, /api/v1/ledger.xlsx): the spreadsheet of an area (mine when none is given)
 * for a period, downloaded with the bearer token.
 */
const api = require('../utils/api');

/**
 * @param {{dateFrom: string, dateTo: string, areaId?: number}} of
 * @returns {Promise<string>} the temp path of the downloaded file
 */
const download = ({ dateFrom, dateTo, areaId }) =>
  api.download('/ledger.xlsx', { date_from: dateFrom, date_to: dateTo, area_id: areaId || null });

module.exports = { download };
