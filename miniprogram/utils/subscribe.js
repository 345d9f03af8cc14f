/**
 * Subscribe messages before a submit: ask GET /subscriptions which templates to request,
 * call wx.requestSubscribeMessage, and report each acceptance with POST /subscriptions.
 * Never blocks the submit: a refusal or a failure here only means no notification.
 */
const subscriptions = require('../services/subscriptions');

/** @returns {Promise<number>} how many consents were recorded */
function askForUpdates() {
  return subscriptions
    .templates()
    .then((/** @type {any} */ out) => {
      const ids = (out.items || []).map((/** @type {any} */ t) => t.template_id).filter(Boolean);
      if (!ids.length) return 0;
      return new Promise((resolve) => {
        wx.requestSubscribeMessage({
          tmplIds: ids,
          success: (/** @type {any} */ res) => resolve(ids.filter((id) => res[id] === 'accept')),
          fail: () => resolve([]),
        });
      }).then((/** @type {any} */ accepted) =>
        Promise.all(accepted.map((/** @type {string} */ id) => subscriptions.consent(id))).then(
          () => accepted.length,
        ),
      );
    })
    .catch(() => 0);
}

module.exports = { askForUpdates };
