/**
 * Patrols (巡查打卡, /api/v1/patrols): my recent check-ins, and a new one for one of my alleys,
 * which may record visits to households on the way.
 */
const api = require('../utils/api');

/** My recent log. */
const recent = () => api.get('/patrols', { per_page: 20 });

/**
 * @param {{alleyId: number, note: string, photoIds: number[], location?: any, householdIds?: number[]}} patrol
 */
function create(patrol) {
  /** @type {Record<string, any>} */
  const body = { alley_id: patrol.alleyId, note: patrol.note, photo_ids: patrol.photoIds };
  if (patrol.location) body.location = patrol.location;
  if (patrol.householdIds && patrol.householdIds.length) body.household_ids = patrol.householdIds;
  return api.post('/patrols', body);
}

module.exports = { recent, create };
