/**
 * Media (/api/v1/media): one photo uploaded at a time (wx.uploadFile), before the form that
 * uses it is sent with the photo ids.
 */
const api = require('../utils/api');

/**
 * @param {string} filePath local temp path from wx.chooseMedia
 * @param {(percent: number) => void} [onProgress]
 * @returns {Promise<{id: number, url: string, thumb_url: string}>}
 */
const upload = (filePath, onProgress) => api.upload('/media', filePath, onProgress);

module.exports = { upload };
