/**
 * Subscribe-message consent for a submit, in the two steps WeChat allows:
 *
 * 1. prepare(): when the form opens, ask GET /subscriptions which templates to request and
 *    keep their ids. This is the only network call, and it happens long before the tap.
 * 2. ask(ids): inside the 提交 tap handler, before any network call, call
 *    wx.requestSubscribeMessage synchronously — WeChat honours it only from a user's tap, and
 *    a promise or request in between makes it fail silently. It resolves with what the
 *    resident chose; each acceptance is reported with POST /subscriptions.
 *
 * A refusal is not swallowed: it is remembered on the phone (REFUSED_KEY, with the time) and
 * the outcome says so, so the page tells the resident how they will learn of progress
 * instead (我的 → the item). Nothing here ever blocks or fails the submit itself.
 */
const subscriptions = require('../services/subscriptions');

const REFUSED_KEY = 'subscribeRefused';

/**
 * @returns {Promise<string[]>} the template ids to ask for ([] when none or unreachable:
 *   the form works without notifications)
 */
function prepare() {
  return subscriptions.templates().then(
    (/** @type {any} */ out) =>
      ((out && out.items) || []).map((/** @type {any} */ t) => t.template_id).filter(Boolean),
    () => [],
  );
}

/**
 * Ask for consent now. Call it synchronously from the tap handler, first thing.
 * @param {string[]} ids from prepare()
 * @returns {Promise<{asked: boolean, accepted: string[], refused: boolean}>} never rejects;
 *   `refused` when the resident said no to every template or WeChat refused to ask
 */
function ask(ids) {
  if (!ids || !ids.length) return Promise.resolve({ asked: false, accepted: [], refused: false });
  /** @type {Promise<string[] | null>} */
  const answered = new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: (/** @type {any} */ res) => resolve(ids.filter((id) => res[id] === 'accept')),
      // Turned off in settings, or the tap did not count: no consent was given.
      fail: () => resolve(null),
    });
  });
  return answered.then((accepted) => {
    const got = accepted || [];
    if (!got.length) {
      wx.setStorageSync(REFUSED_KEY, { at: Date.now(), ids, failed: accepted === null });
      return { asked: true, accepted: got, refused: true };
    }
    wx.removeStorageSync(REFUSED_KEY);
    // A consent the server did not record is lost for this report only; say nothing more.
    return Promise.all(got.map((id) => subscriptions.consent(id).catch(() => null))).then(() => ({
      asked: true,
      accepted: got,
      refused: false,
    }));
  });
}

/** @returns {boolean} whether the resident's last answer was a refusal */
function lastRefused() {
  return !!wx.getStorageSync(REFUSED_KEY);
}

module.exports = { prepare, ask, lastRefused, REFUSED_KEY };
