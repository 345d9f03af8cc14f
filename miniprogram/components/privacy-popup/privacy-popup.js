/**
 * The privacy consent WeChat requires since 2023 (app.json `__usePrivacyCheck__`): the first
 * time a page calls a private API (photos, location, phone), WeChat holds the call and asks
 * wx.onNeedPrivacyAuthorization's listener; this popup then says what is used and why, links
 * to our 隐私说明 (pages/privacy), and answers with 同意 (the agreePrivacyAuthorization
 * button, so WeChat records it) or 不同意 (the call fails; the page says what still works).
 *
 * Each page that calls such APIs puts one <privacy-popup /> on it. WeChat keeps one listener
 * for the whole app, so the popup registers when it is attached and again whenever its page
 * shows (a page opened later took it over).
 */
const WHAT = /** @type {Record<string, string>} */ ({
  chooseMedia: '拍照或从相册选照片',
  chooseImage: '拍照或从相册选照片',
  chooseLocation: '选择问题所在的位置',
  getLocation: '获取您的位置',
  getPhoneNumber: '使用您的手机号',
  scanCode: '扫描公示牌上的二维码',
});

Component({
  options: { addGlobalClass: true },
  properties: {
    /** what still works without agreeing, said under the buttons (the page knows) */
    note: { type: String, value: '' },
  },
  data: {
    show: false,
    what: '',
  },
  lifetimes: {
    attached() {
      this.listen();
    },
    detached() {
      this.answer({ event: 'disagree' });
    },
  },
  pageLifetimes: {
    show() {
      this.listen();
    },
  },
  methods: {
    listen() {
      // Older WeChat (before 2.32.3) has no privacy check: nothing to listen for.
      if (typeof wx.onNeedPrivacyAuthorization !== 'function') return;
      wx.onNeedPrivacyAuthorization((resolve, info) => {
        /** @type {any} */ (this).resolve = resolve;
        const api = (info && info.referrer) || '';
        this.setData({ show: true, what: WHAT[api] || '使用这项功能' });
      });
    },
    /** @param {{event: string, buttonId?: string}} how */
    answer(how) {
      const self = /** @type {any} */ (this);
      const resolve = self.resolve;
      self.resolve = null;
      if (resolve) resolve(how);
    },
    onAgree() {
      this.setData({ show: false });
      this.answer({ event: 'agree', buttonId: 'privacy-agree' });
      this.triggerEvent('answer', { agreed: true });
    },
    onDisagree() {
      this.setData({ show: false });
      this.answer({ event: 'disagree' });
      this.triggerEvent('answer', { agreed: false });
    },
    onRead() {
      wx.navigateTo({ url: '/pages/privacy/privacy' });
    },
  },
});
