/**
 * Every page (and the offline banner) respects 大字模式: `behaviors: [textsize]` gives it
 * data.textClass ('large-text' or ''), set when it is attached and again each time it is shown,
 * so a page under 我的 follows the switch when the user comes back to it. The page's root view
 * carries it: `<view class="page {{textClass}}">`.
 */
const textsize = require('../utils/textsize');

module.exports = Behavior({
  data: { textClass: '' },
  lifetimes: {
    attached() {
      /** @type {any} */ (this).applyTextSize();
    },
  },
  pageLifetimes: {
    show() {
      /** @type {any} */ (this).applyTextSize();
    },
  },
  methods: {
    applyTextSize() {
      const textClass = textsize.pageClass();
      if (textClass !== this.data.textClass) this.setData({ textClass });
    },
  },
});
