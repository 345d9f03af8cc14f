/**
 * A form's per-field problems, shown so they are found: each wrong field is marked (the page's
 * `<view id="field-{name}" class="field {{errors.name ? 'wrong' : ''}}">`), the first one in
 * the form's order is scrolled into view (on a small phone it is often below the fold), and
 * the message at the top says to look for the red text.
 */

/**
 * @param {{setData: (data: Record<string, any>) => void}} page
 * @param {Record<string, string>} errors field name → Chinese message
 * @param {string[]} order the form's field names, top to bottom
 * @param {string} message the summary shown above the form
 * @param {Record<string, any>} [extra] more data to set at the same time (e.g. state)
 * @returns {string} the field scrolled to ('' when none of `order` is wrong)
 */
function showFieldErrors(page, errors, order, message, extra) {
  page.setData({ ...(extra || {}), errors, error: message });
  const first = order.find((f) => errors[f]) || '';
  if (first) wx.pageScrollTo({ selector: `#field-${first}`, offsetTop: -12, duration: 300 });
  return first;
}

module.exports = { showFieldErrors };
