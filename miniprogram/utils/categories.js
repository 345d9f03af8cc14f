/**
 * The issue categories this deployment takes (GET /api/v1/categories, no login needed). A form
 * starts with the server's default list (format.CATEGORIES) and switches to the configured one
 * as soon as it arrives, so a district that configured its own categories sees exactly those.
 */
const categories = require('../services/categories');

/**
 * @param {{setData: (data: Record<string, any>) => void}} component a page with `categories`
 * @returns {Promise<string[]>} the names shown ([] when the list could not be fetched)
 */
function load(component) {
  return categories.list().then(
    (/** @type {any} */ res) => {
      const names = ((res && res.items) || []).map((/** @type {any} */ c) => c.name);
      if (names.length) component.setData({ categories: names });
      return names;
    },
    // Unreachable now: the default list stays, and the API still refuses an unknown category.
    () => [],
  );
}

module.exports = { load };
