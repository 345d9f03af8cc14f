/**
 * The full-page state of a page whose content could not be loaded: what went wrong, and two
 * ways out — 重新加载 (the page's own load, through the `retry` event) and 返回首页 (the
 * board scanned last, or 扫一扫 when there is none). A user is never left on a bare message.
 */
Component({
  options: { addGlobalClass: true },
  properties: {
    message: { type: String, value: '' },
    /** false on the home page itself, where 返回首页 would lead back here */
    home: { type: Boolean, value: true },
  },
  methods: {
    onRetry() {
      this.triggerEvent('retry');
    },
    onHome() {
      // reLaunch: whatever pages led here (a deep link, a notification) are left behind.
      wx.reLaunch({ url: '/pages/board/board' });
    },
  },
});
