/**
 * The exchange shop (兑换超市, /api/v1/shop/items): a community's shelf, and redeeming an item
 * for points — by the resident themself, or by staff at the counter for a member code.
 */
const api = require('../utils/api');

/** @param {number} community the community's id @returns {Promise<any>} items and categories */
const items = (community) => api.get('/shop/items', { community, per_page: 100 });

/**
 * Redeem one item; stock and points are taken in one step (409 out_of_stock /
 * insufficient_points say why not).
 * @param {number} id the item
 * @param {string} [memberCode] staff at the counter: whose passbook pays
 */
const redeem = (id, memberCode) => api.post(`/shop/items/${id}/redeem`, memberCode ? { member_code: memberCode } : {});

module.exports = { items, redeem };
