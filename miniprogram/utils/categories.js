/**
 * The issue categories this deployment takes (GET /api/v1/categories, no login needed). A form
 * starts with the server's default list (format.CATEGORIES) and switches to the configured one
 * as soon as it arrives, so a district that configured its own categories sees exactly those.
 */
const categories = require('../services/categories');

/**
 * What each of the server's default categories looks like on the form: an icon and a one-line
 * example, so a resident recognises their problem without knowing the category's name. A
 * category a district added itself gets the generic icon and no example.
 */
const LOOKS = /** @type {Record<string, {icon: string, example: string}>} */ ({
  环境卫生: { icon: '🧹', example: '垃圾堆放、污水外溢' },
  车辆乱停: { icon: '🚗', example: '堵住巷口、占用消防通道' },
  '私拉电线/安全隐患': { icon: '⚡', example: '飞线充电、楼道堆物' },
  设施损坏: { icon: '💡', example: '路灯不亮、井盖松动' },
  邻里纠纷: { icon: '🤝', example: '噪音扰民、漏水争执' },
  助老帮残: { icon: '🧓', example: '独居老人需要照看' },
  治安巡防: { icon: '🛡', example: '可疑人员、门禁损坏' },
  政策咨询: { icon: '📄', example: '低保、医保、办证怎么办' },
  其他: { icon: '📝', example: '以上都不是的问题' },
});
const GENERIC = { icon: '📝', example: '' };

/**
 * @param {string[]} names category names in the order shown
 * @returns {Array<{name: string, icon: string, example: string}>}
 */
function looks(names) {
  return names.map((name) => ({ name, ...(LOOKS[name] || GENERIC) }));
}

/**
 * @param {{setData: (data: Record<string, any>) => void}} component a page with `categories`
 * @returns {Promise<string[]>} the names shown ([] when the list could not be fetched)
 */
function load(component) {
  return categories.list().then(
    (/** @type {any} */ res) => {
      const names = ((res && res.items) || []).map((/** @type {any} */ c) => c.name);
      if (names.length) component.setData({ categories: names, categoryLooks: looks(names) });
      return names;
    },
    // Unreachable now: the default list stays, and the API still refuses an unknown category.
    () => [],
  );
}

module.exports = { load, looks };
