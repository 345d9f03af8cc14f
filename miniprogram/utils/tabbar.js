/**
 * The tab bar (custom-tab-bar/): 首页 (the board scanned last, or 扫一扫), 我的, and 工作台 for
 * those who hold a role there (a steward, staff or a unit's member). Each tab page calls
 * `showTab(this, route)` in its onShow: the bar marks the page's tab and refreshes its badge
 * (GET /me/workbench). A page opened outside the tab bar (no getTabBar) is left alone.
 */
const api = require('./api');

const TABS = [
  { path: '/pages/board/board', text: '首页', icon: '🏠' },
  { path: '/pages/mine/mine', text: '我的', icon: '👤' },
  { path: '/pages/work/work', text: '工作台', icon: '🧰', roles: ['steward', 'staff', 'admin', 'unit'] },
];

/** @param {string[]} roles @returns {boolean} whether 工作台 is theirs */
function hasWorkbench(roles) {
  return roles.some((r) => (TABS[2].roles || []).includes(r));
}

/** @param {string[]} roles @returns {typeof TABS} the tabs this person sees */
function tabsFor(roles) {
  return TABS.filter((t) => !t.roles || hasWorkbench(roles));
}

/**
 * The number on the 工作台 tab: what waits for the person (their 待办, 待审核 and 超期; a
 * count they have no role for is null and adds nothing). '' for none; '99+' past 99.
 * @param {{todo: number|null, review: number|null, overdue: number|null}} counts
 * @returns {string}
 */
function badgeOf(counts) {
  const n = (counts.todo || 0) + (counts.review || 0) + (counts.overdue || 0);
  if (!n) return '';
  return n > 99 ? '99+' : String(n);
}

/**
 * @param {any} page the tab page (a Component)
 * @param {string} route e.g. '/pages/mine/mine'
 */
function showTab(page, route) {
  const bar = typeof page.getTabBar === 'function' ? page.getTabBar() : null;
  if (bar && bar.refresh) bar.refresh(route);
}

/** Go to a tab (a tab page cannot be opened with navigateTo). @param {string} path */
function go(path) {
  wx.switchTab({ url: path });
}

module.exports = { TABS, tabsFor, hasWorkbench, badgeOf, showTab, go, roles: () => api.roles() };
