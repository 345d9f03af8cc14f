/**
 * Wishes (微心愿, /api/v1/wishes): the wall, my wishes and claims, the review queue, one wish,
 * posting one, and its steps (claim, release, fulfil, confirm, approve, reject). Pages call
 * these and never build a /wishes URL or query; each resolves with the API's answer (a
 * WishOut, or a page of them) and rejects with an ApiError.
 */
const api = require('../utils/api');

/** @param {number} id @param {string} [step] */
const at = (id, step) => (step ? `/wishes/${id}/${step}` : `/wishes/${id}`);

/** 心愿墙: published wishes of an alley ('' for the whole wall); no login needed. @param {number|string} alleyId */
const wall = (alleyId) => api.get('/wishes', { scope: 'wall', alley_id: alleyId, per_page: 50 }, { auth: false });

/** 我的: the wishes I posted. */
const mine = () => api.get('/wishes', { scope: 'mine', per_page: 50 });

/** 我的: the wishes I claimed. */
const claimed = () => api.get('/wishes', { scope: 'claimed', per_page: 50 });

/** 待审核: wishes of my area waiting for review. */
const pendingReview = () => api.get('/wishes', { scope: 'area', status: 'pending_review', per_page: 100 });

/** @param {number} id */
const get = (id) => api.get(at(id));

/**
 * 提交微心愿, at a board (its code) or else an alley; a steward may post on someone's behalf.
 * @param {{boardCode?: string, alleyId?: number, beneficiaryType: string, displayName: string,
 *   title: string, content: string, photoIds: number[], contactPhone?: string, onBehalfOf?: string}} wish
 */
function create(wish) {
  /** @type {Record<string, any>} */
  const body = {
    beneficiary_type: wish.beneficiaryType,
    display_name: wish.displayName,
    title: wish.title,
    content: wish.content,
    photo_ids: wish.photoIds,
  };
  if (wish.boardCode) body.board_code = wish.boardCode;
  else body.alley_id = wish.alleyId;
  if (wish.contactPhone) body.contact_phone = wish.contactPhone;
  if (wish.onBehalfOf) body.on_behalf_of = wish.onBehalfOf;
  return api.post('/wishes', body);
}

/** 认领 as volunteer, party member or steward. @param {number} id @param {string} role */
const claim = (id, role) => api.post(at(id, 'claim'), { role });

/** 放弃认领. @param {number} id @param {string} [reason] */
const release = (id, reason) => api.post(at(id, 'release'), { reason: reason || null });

/** 登记实现, with a note and photos. @param {number} id @param {string} note @param {number[]} photoIds */
const fulfil = (id, note, photoIds) => api.post(at(id, 'fulfil'), { note, photo_ids: photoIds });

/** 确认实现 with a rating. @param {number} id @param {number} score @param {string} [text] */
const confirm = (id, score, text) => api.post(at(id, 'confirm'), { score, text: text || null });

/** 审核通过: the wish goes on the wall. @param {number} id */
const approve = (id) => api.post(at(id, 'approve'), {});

/** 驳回 with the reason told to the poster. @param {number} id @param {string} reason */
const reject = (id, reason) => api.post(at(id, 'reject'), { reason });

module.exports = { wall, mine, claimed, pendingReview, get, create, claim, release, fulfil, confirm, approve, reject };
