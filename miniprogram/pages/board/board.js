/**
 * 公示牌页 (pages/board/board): where the signboard's QR code lands. `options.q` is the
 * scanned URL, decoded exactly once (docs/miniprogram.md, scan rule); `options.code` is accepted when
 * navigated to. Shows the alley's stewards with call buttons, the community's supervision
 * phone, live figures, recent public items and the wish wall; a 404/410 answer shows its
 * message and a box to type a board code. It is the 首页 tab: opened from the tab bar it shows
 * the board scanned last, or, before any, offers 扫一扫 and the code box.
 */
const boards = require('../../services/boards');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const tabbar = require('../../utils/tabbar');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: {
    code: '',
    typed: '',
    board: /** @type {any} */ (null),
    stewards: /** @type {any[]} */ ([]),
    communityPhone: '',
    communityPhoneText: '',
    figures: /** @type {any} */ ({}),
    issues: /** @type {any[]} */ ([]),
    wishes: /** @type {any[]} */ ([]),
  },
  methods: {
    /** @param {{q?: string, code?: string}} options */
    onLoad(options) {
      let code = fmt.boardCodeFrom(options || {});
      if (!code) {
        // Opened without a scan (e.g. from 最近使用): show the board scanned last, if any.
        const last = wx.getStorageSync('lastBoard');
        code = last && last.code ? String(last.code) : '';
      }
      if (!code) {
        const error = options && options.q
          ? '没有认出公示牌编码，请重新扫描公示牌上的二维码，或在下面输入公示牌编码。'
          : '还没有扫过公示牌：请扫一扫巷口公示牌上的二维码，或在下面输入公示牌编码。';
        this.setData({ state: 'error', error });
        return Promise.resolve();
      }
      return this.load(code);
    },
    /**
     * Open a board (the one shown when no code is given; none yet: nothing to do). A board
     * that cannot be shown (404, 410) replaces the page with its message and the code box.
     * @param {string} [code]
     */
    load(code = this.data.code) {
      if (!code) return Promise.resolve();
      this.setData({ code });
      const fetch = () =>
        boards.get(code).then((/** @type {any} */ b) => {
          wx.setStorageSync('lastBoard', { code: b.code, alley: b.alley.name });
          const phone = b.community && b.community.phone;
          const f = b.figures || {};
          return {
            board: b,
            stewards: b.stewards.map((/** @type {any} */ s) => ({
              ...s,
              phoneText: fmt.groupPhone(s.phone),
              postsText: (s.posts || []).join('、'),
              initial: s.name.slice(0, 1),
            })),
            communityPhone: phone || '',
            communityPhoneText: fmt.groupPhone(phone),
            figures: {
              open: f.open_now,
              resolved: f.resolved_30d,
              resolutionRate: f.resolution_rate === null ? '—' : `${Math.round(f.resolution_rate * 1000) / 10}%`,
              rating: f.average_rating === null ? '暂无' : `${f.average_rating} 分`,
              rated: f.rated,
              accept: f.median_accept_minutes === null ? '—' : `${f.median_accept_minutes} 分钟`,
            },
            issues: b.recent_issues.map((/** @type {any} */ i) => ({ ...i, status_label: fmt.residentStatusWord(i.status, i.status_label), when: fmt.dateTime(i.created_at) })),
            wishes: b.wishes,
          };
        });
      return this.loadWith(fetch, { replaceOnError: true });
    },
    /** @param {any} e */
    onCall(e) {
      wx.makePhoneCall({ phoneNumber: String(e.currentTarget.dataset.phone) });
    },
    /** @param {any} e */
    onTypeCode(e) {
      this.setData({ typed: e.detail.value });
    },
    onSubmitCode() {
      const code = this.data.typed.trim().toUpperCase();
      if (!code) {
        this.setData({ error: '请输入公示牌上二维码下方的编码（8 位字母和数字）。' });
        return Promise.resolve();
      }
      return this.load(code);
    },
    onReport() {
      wx.navigateTo({ url: `/pages/report/report?code=${this.data.code}` });
    },
    onWish() {
      wx.navigateTo({ url: `/pages/wish/wish?code=${this.data.code}` });
    },
    onWall() {
      const alley = this.data.board ? this.data.board.alley.id : '';
      wx.navigateTo({ url: `/pages/wishes/wishes?alley_id=${alley}` });
    },
    onShow() {
      tabbar.showTab(this, '/pages/board/board');
    },
    onMine() {
      tabbar.go('/pages/mine/mine');
    },
    /**
     * 扫一扫 a board's QR code (首页 opened with no board scanned yet): its URL carries the
     * code (…/b/<code>); anything else is not one of ours and is said so.
     */
    onScan() {
      wx.scanCode({
        scanType: ['qrCode'],
        success: (res) => {
          const code = fmt.boardCodeFrom({ q: encodeURIComponent(res.result || '') });
          if (code) this.load(code);
          else this.setData({ state: 'error', error: '这不是小巷管家公示牌的二维码，请扫巷口公示牌上的二维码。' });
        },
      });
    },
    /**
     * 转发: the board itself, titled by its alley, so a neighbour opens the same board.
     * Before a board is shown there is nothing of an alley to forward: the bare page (it
     * opens the board that neighbour scanned last, or asks for a code).
     */
    onShareAppMessage() {
      const b = this.data.board;
      if (!b || this.data.state !== 'ready') return { title: '小巷管家：身边的问题，扫码就能反映', path: '/pages/board/board' };
      return { title: `${b.alley.name}的小巷管家公示牌：有事找管家`, path: `/pages/board/board?code=${b.code}` };
    },
    onShop() {
      const community = this.data.board && this.data.board.community;
      if (community) wx.navigateTo({ url: `/points/shop/shop?community=${community.id}` });
    },
  },
});
