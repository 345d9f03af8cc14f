/**
 * Households (包联户, /api/v1/households): the households I keep, one household's contact card
 * (民情联系卡), and recording a visit. Private data: the server returns only my own and
 * records every look.
 */
const api = require('../utils/api');

/** 我的包联户, overdue visits first (the server's order). */
const list = () => api.get('/households', { per_page: 100 });

/** @param {number} id */
const get = (id) => api.get(`/households/${id}`);

/** 登记走访. @param {number} id @param {string} note @param {number[]} photoIds */
const visit = (id, note, photoIds) => api.post(`/households/${id}/visits`, { note, photo_ids: photoIds });

module.exports = { list, get, visit };
