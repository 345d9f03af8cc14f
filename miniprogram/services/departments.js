/**
 * Departments (/api/v1/departments): the street's departments staff can whistle to (吹哨).
 */
const api = require('../utils/api');

const list = () => api.get('/departments');

module.exports = { list };
