/**
 * Subscribe messages (/api/v1/subscriptions): the templates to ask consent for, and each
 * consent given.
 */
const api = require('../utils/api');

/** @returns {Promise<any>} {items: [{template_id, …}]} */
const templates = () => api.get('/subscriptions');

/** @param {string} templateId */
const consent = (templateId) => api.post('/subscriptions', { template_id: templateId });

module.exports = { templates, consent };
