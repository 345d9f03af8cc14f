/**
 * Boards (公示牌, /api/v1/boards/{code}): what a signboard's QR code shows — the alley, its
 * stewards, the community's phone, live figures, recent public items and the wish wall.
 * Public: no login needed.
 */
const api = require('../utils/api');

/** @param {string} code the board code from the scan or typed @returns {Promise<any>} BoardOut */
const get = (code) => api.get(`/boards/${encodeURIComponent(code)}`, null, { auth: false });

module.exports = { get };
