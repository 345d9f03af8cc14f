/**
 * Issues (诉求, /api/v1/issues): the lists each role works from, one issue, reporting, and
 * every step of an issue's lifecycle. Pages call these functions and never build an
 * /issues URL or query themselves; each resolves with the API's answer (an IssueOut, or a
 * page of them) and rejects with an ApiError.
 */
const api = require('../utils/api');

/** @param {number} id @param {string} [step] @returns {string} '/issues/7' or '/issues/7/accept' */
const at = (id, step) => (step ? `/issues/${id}/${step}` : `/issues/${id}`);

/** 我的: the reports I made. */
const mine = () => api.get('/issues', { scope: 'mine', per_page: 50 });

/** 管家待办: the open issues assigned to me. */
const assigned = () => api.get('/issues', { scope: 'assigned', status: 'open', per_page: 100 });

/** 本单位待办: the open items whistled to my unit(s). */
const ofMyUnit = () => api.get('/issues', { scope: 'unit', status: 'open', per_page: 100 });

/** 超期诉求: open issues of my area past their deadline. */
const overdueInArea = () => api.get('/issues', { scope: 'area', overdue: 'true', per_page: 100 });

/** 待审核: held issues of my area waiting to be published or kept private. */
const heldInArea = () => api.get('/issues', { scope: 'area', visibility: 'held', per_page: 100 });

/**
 * Open reports of the same alley (by board code, else by alley id) and category.
 * @param {{boardCode?: string, alleyId?: number, category: string}} where
 */
function similar({ boardCode, alleyId, category }) {
  const place = boardCode ? { board_code: boardCode } : { alley_id: alleyId };
  return api.get('/issues/similar', { ...place, category });
}

/** @param {number} id */
const get = (id) => api.get(at(id));

/**
 * 反映问题: a resident's report, at a board (its code) or else an alley.
 * @param {{boardCode?: string, alleyId?: number, category: string, content: string,
 *   photoIds: number[], anonymous: boolean, location?: any, contactPhone?: string}} report
 */
function report(report) {
  /** @type {Record<string, any>} */
  const body = {
    category: report.category,
    content: report.content,
    photo_ids: report.photoIds,
    anonymous: report.anonymous,
  };
  if (report.boardCode) body.board_code = report.boardCode;
  else body.alley_id = report.alleyId;
  if (report.location) body.location = report.location;
  if (report.contactPhone) body.contact_phone = report.contactPhone;
  return api.post('/issues', body);
}

/**
 * 随手做: a problem a steward found and fixed on the spot, reported and closed in one step.
 * @param {{alleyId: number, category: string, content: string, photoIds: number[], note?: string}} fix
 */
function fixedOnSpot(fix) {
  return api.post('/issues', {
    alley_id: fix.alleyId,
    category: fix.category,
    content: fix.content,
    photo_ids: fix.photoIds,
    fixed_on_spot: { note: fix.note || null, photo_ids: [] },
  });
}

/** 跟进这一件: join an open report instead of sending the same one. @param {number} id */
const follow = (id) => api.post(at(id, 'follow'), {});

/** 接单. @param {number} id */
const accept = (id) => api.post(at(id, 'accept'), {});

/**
 * 办结 with a note, photos, the resolution level (现场解决 / 上报社区 / 联合处置) and the outcome
 * (solved / answered / not_ours / unsolvable, format.OUTCOMES).
 * @param {number} id @param {{note: string, photoIds: number[], level: string, outcome: string}} how
 */
const resolve = (id, { note, photoIds, level, outcome }) =>
  api.post(at(id, 'resolve'), { note, photo_ids: photoIds, level, outcome });

/** 常用回复 of the item's community, for its resolve form. @param {number} id */
const replyTemplates = (id) => api.get('/reply-templates', { issue_id: id });

/** 上报. @param {number} id @param {string} note why */
const escalate = (id, note) => api.post(at(id, 'escalate'), { note });

/**
 * 留言; a steward's message may carry photos (photoIds given), a resident's or staff's not.
 * @param {number} id @param {string} text @param {number[]} [photoIds]
 */
const comment = (id, text, photoIds) => api.post(at(id, 'comment'), photoIds === undefined ? { text } : { text, photo_ids: photoIds });

/** 评价 1–5 with an optional text. @param {number} id @param {number} score @param {string} [text] */
const rate = (id, score, text) => api.post(at(id, 'rate'), { score, text: text || null });

/** 重新反映 within the window. @param {number} id @param {string} note what is still wrong */
const reopen = (id, note) => api.post(at(id, 'reopen'), { note });

/** 撤销, with a reason (staff must give one; a resident may not). @param {number} id @param {string} [reason] */
const cancel = (id, reason) => api.post(at(id, 'cancel'), { reason: reason || null });

/**
 * 派单 / 调整紧急程度: assign stewards and optionally change the tier.
 * @param {number} id @param {{stewardIds: number[], priority?: string, note?: string}} how
 */
const assign = (id, { stewardIds, priority, note }) =>
  api.post(at(id, 'assign'), { steward_ids: stewardIds, priority: priority || null, note: note || null });

/**
 * 吹哨: hand the item to a unit (department or property company) with a tier the caller chose.
 * @param {number} id @param {{unitId: number, tier: string, note: string}} how tier: ordinary | important | major
 */
const whistle = (id, { unitId, tier, note }) => api.post(at(id, 'whistle'), { unit_id: unitId, tier, note });

/** 催办 (staff): a reminder to the unit holding the item. @param {number} id @param {string} note */
const urge = (id, note) => api.post(at(id, 'urge'), { note });
/** 督办: escalate a unit's item to the street leader (the note is optional). */
const supervise = (id, note) => api.post(at(id, 'supervise'), note ? { note } : {});

/** 报到 (a member of the unit): the unit has received the item. @param {number} id */
const checkIn = (id) => api.post(at(id, 'check-in'), {});

/** 进展 (a member of the unit): a progress note with photos. @param {number} id @param {string} note @param {number[]} photoIds */
const progress = (id, note, photoIds) => api.post(at(id, 'progress'), { note, photo_ids: photoIds });

/** 申请延期 (a member of the unit); staff approve or refuse. @param {number} id @param {number} days @param {string} reason */
const requestExtension = (id, days, reason) => api.post(at(id, 'extension'), { days, reason });

/** 退回 (a member of the unit): not the unit's remit, back to the community. @param {number} id @param {string} reason */
const returnToCommunity = (id, reason) => api.post(at(id, 'return'), { reason });

/** 办结 by a member of the unit (the API records it as joint handling). @param {number} id @param {string} note @param {number[]} photoIds */
const resolveForUnit = (id, note, photoIds) => api.post(at(id, 'resolve'), { note, photo_ids: photoIds });

/** A held issue goes on the board. @param {number} id */
const publish = (id) => api.post(at(id, 'moderate'), { publish: true });

/** A held issue stays off the board (handled as usual). @param {number} id @param {string} [note] */
const keepPrivate = (id, note) => api.post(at(id, 'moderate'), { publish: false, note: note || null });

module.exports = {
  mine,
  assigned,
  ofMyUnit,
  overdueInArea,
  heldInArea,
  similar,
  get,
  report,
  fixedOnSpot,
  follow,
  accept,
  resolve,
  replyTemplates,
  escalate,
  comment,
  rate,
  reopen,
  cancel,
  assign,
  whistle,
  urge,
  supervise,
  checkIn,
  progress,
  requestExtension,
  returnToCommunity,
  resolveForUnit,
  publish,
  keepPrivate,
};
