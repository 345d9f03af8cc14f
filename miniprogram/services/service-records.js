/**
 * Service records (服务记录, /api/v1/service-records): staff certify pending ones (one, or
 * several at once); a volunteer sees their own for a period, the certified total, and
 * downloads the certificate of certified hours (志愿服务记录证明, a PDF).
 */
const api = require('../utils/api');

/** @typedef {{dateFrom: string, dateTo: string}} Period YYYY-MM-DD, both days included */

/** 认证服务记录: the pending records waiting for me (never my own; a sole staff member's go to the street). */
const pending = () => api.get('/service-records', { status: 'pending', awaiting: true, per_page: 100 });

/** @param {number} id */
const certify = (id) => api.post(`/service-records/${id}/certify`);

/** @param {number[]} ids @returns {Promise<any>} certified and skipped (certified before) */
const certifyMany = (ids) => api.post('/service-records/certify', { ids });

/** @param {Period} period */
const query = ({ dateFrom, dateTo }) => ({ mine: 'true', date_from: dateFrom, date_to: dateTo, per_page: 100 });

/** 我的服务时长: my records of the period. @param {Period} period */
const mine = (period) => api.get('/service-records', query(period));

/** My certified hours of the period (`total_hours`). @param {Period} period */
const certifiedTotal = (period) => api.get('/service-records', { ...query(period), per_page: 1, status: 'certified' });

/** The certificate of my certified hours: the downloaded PDF's temp path. @param {Period} period */
const certificate = ({ dateFrom, dateTo }) =>
  api.download('/service-records/certificate.pdf', { date_from: dateFrom, date_to: dateTo });

module.exports = { pending, certify, certifyMany, mine, certifiedTotal, certificate };
