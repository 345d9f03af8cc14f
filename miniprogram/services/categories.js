/**
 * Issue categories (/api/v1/categories): the ones this deployment takes. Public.
 */
const api = require('../utils/api');

const list = () => api.get('/categories', undefined, { auth: false });

module.exports = { list };
