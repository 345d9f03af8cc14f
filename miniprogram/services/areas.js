/**
 * Areas (/api/v1/areas): the tree of the areas I may see — street, community, grid, alley —
 * with each alley's stewards and boards.
 */
const api = require('../utils/api');

/** @returns {Promise<any>} {items: [root nodes with children, stewards, boards]} */
const tree = () => api.get('/areas');

module.exports = { tree };
