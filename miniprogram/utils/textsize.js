/**
 * 大字模式 (适老化): one switch in 我的, remembered in storage, read by every page through
 * behaviors/textsize.js. In it body text is at least 20 px (40 rpx at 375 px); app.wxss keeps
 * every size in CSS variables that the `large-text` class raises, and the variables reach into
 * components (issue-view, photo-picker, tdesign's empty and steps) because they inherit.
 */
const KEY = 'largeText';
const CLASS = 'large-text';

/** @returns {boolean} whether the large-text mode is on */
function isLarge() {
  return wx.getStorageSync(KEY) === true;
}

/** @param {boolean} on */
function setLarge(on) {
  wx.setStorageSync(KEY, !!on);
}

/** @returns {string} the class of a page's root view ('' in the normal mode) */
function pageClass() {
  return isLarge() ? CLASS : '';
}

module.exports = { KEY, CLASS, isLarge, setLarge, pageClass };
