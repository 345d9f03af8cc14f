/**
 * Volunteers (志愿者, /api/v1/volunteers): the communities one may register with, my
 * registrations, registering (or changing a registration), and a community's service units
 * (for in-service party members, 双报到) and volunteer teams to choose from.
 */
const api = require('../utils/api');

/** The communities taking volunteers. */
const communities = () => api.get('/volunteers/communities');

/** My registrations, one per community. */
const mine = () => api.get('/volunteers/me');

/**
 * 志愿者登记.
 * @param {{communityId: number, name: string, phone: string, skills: string[], teamId?: number,
 *   partyMember: boolean, unitId?: number}} who
 */
const register = (who) =>
  api.post('/volunteers', {
    community_id: who.communityId,
    name: who.name,
    phone: who.phone,
    skills: who.skills,
    team_id: who.teamId || null,
    party_member: who.partyMember,
    unit_id: who.unitId || null,
  });

/** The units an in-service party member may report from. @param {number} communityId */
const units = (communityId) => api.get('/service-units', { community_id: communityId });

/** The community's volunteer teams. @param {number} communityId */
const teams = (communityId) => api.get('/volunteer-teams', { community_id: communityId });

module.exports = { communities, mine, register, units, teams };
