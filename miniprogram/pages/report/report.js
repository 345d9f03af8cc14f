/**
 * 反映问题 (pages/report/report): category (each with an icon and an example), text, up to 9
 * photos, optional location, phone and anonymity, then POST /api/v1/issues.
 *
 * - The form names the alley it is for (the board's alley and path). Opened without a board
 *   (or with one that cannot be used) it offers 扫一扫 instead of an empty form.
 * - Subscribe consent: the template ids are fetched when the page opens, and
 *   wx.requestSubscribeMessage is called synchronously in the 提交 tap, before any network
 *   call (utils/subscribe.js). A refusal is remembered and the success page says how the
 *   resident will learn of progress instead.
 * - Choosing a category first asks GET /issues/similar: open reports of the same alley and
 *   category are offered as 跟进这一件 (POST /issues/{id}/follow) instead of a duplicate.
 * - A wrong field is marked and scrolled to (the first one); whatever the resident typed stays
 *   on the page after any error.
 * - The success page promises the deadline's date, with the ticket number.
 */
const api = require('../../utils/api');
const issues = require('../../services/issues');
const boards = require('../../services/boards');
const fmt = require('../../utils/format');
const subscribe = require('../../utils/subscribe');
const categories = require('../../utils/categories');
const permission = require('../../utils/permission');
const { showFieldErrors } = require('../../utils/form');

/** The form's fields top to bottom: the first wrong one is scrolled to. */
const FIELD_ORDER = ['category', 'content', 'contact_phone'];
const NO_BOARD = '请先扫描街巷公示牌上的二维码，再反映问题。';
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'form', // scan | form | sending | done | followed
    code: '',
    alleyId: 0,
    place: /** @type {{alley: string, path: string} | null} */ (null),
    categories: fmt.CATEGORIES,
    categoryLooks: categories.looks(fmt.CATEGORIES),
    category: '',
    content: '',
    phone: '',
    anonymous: false,
    location: /** @type {any} */ (null),
    locationNote: '',
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    errors: /** @type {Record<string, string>} */ ({}),
    error: '',
    templateIds: /** @type {string[]} */ ([]),
    created: /** @type {any} */ (null),
    deadlineDay: '',
    told: '',
    similar: /** @type {any[]} */ ([]),
    followed: /** @type {any} */ (null),
  },
  methods: {
    /** @param {{q?: string, code?: string, alley_id?: string}} options */
    onLoad(options) {
      const opts = options || {};
      const scanned = fmt.boardCodeFrom(opts);
      const last = wx.getStorageSync('lastBoard');
      const code = scanned || (!opts.alley_id && last && last.code ? String(last.code) : '');
      const alleyId = Number(opts.alley_id || 0);
      categories.load(this);
      // Fetched now, long before the tap: the tap itself may make no network call first.
      const ready = subscribe.prepare().then((templateIds) => this.setData({ templateIds }));
      if (!code && !alleyId) {
        this.setData({ state: 'scan', error: '' });
        return ready;
      }
      this.setData({
        state: 'form',
        code,
        alleyId,
        error: '',
        // The alley scanned last is named at once; the board's answer confirms it.
        place: last && last.code === code && last.alley ? { alley: last.alley, path: '' } : null,
      });
      return Promise.all([ready, code ? this.loadBoard(code) : null]);
    },
    /**
     * Name the alley of the board. A board that is gone (404, 410) cannot take reports: the
     * page offers 扫一扫 with the reason; an unreachable server leaves the form usable.
     * @param {string} code
     */
    loadBoard(code) {
      return boards.get(code).then(
        (/** @type {any} */ b) => {
          if (this.data.code !== code) return;
          wx.setStorageSync('lastBoard', { code: b.code, alley: b.alley.name });
          this.setData({ place: { alley: b.alley.name, path: b.path_label || '' } });
        },
        (/** @type {any} */ err) => {
          if (this.data.code !== code || !(err && (err.status === 404 || err.status === 410))) return;
          this.setData({ state: 'scan', code: '', place: null, error: api.messageOf(err) });
        },
      );
    },
    /** 扫一扫: the board's QR code opens this form for its alley. */
    onScan() {
      wx.scanCode({
        onlyFromCamera: false,
        scanType: ['qrCode'],
        success: (res) => {
          const text = String(res.result || res.path || '');
          const code = fmt.boardCodeFrom({ q: encodeURIComponent(text) });
          if (!code) {
            this.setData({ error: '这不是街巷公示牌上的二维码，请对准公示牌右下角的二维码再扫。' });
            return;
          }
          this.setData({ state: 'form', code, alleyId: 0, place: null, error: '' });
          this.loadBoard(code);
        },
        fail: (err) => {
          const why = permission.refusal(err);
          if (why === 'privacy') this.setData({ error: permission.PRIVACY_DECLINED });
          else if (why === 'denied') permission.offerSettings('相机');
        },
      });
    },
    /** @param {any} e */
    onCategory(e) {
      this.setData({ category: e.currentTarget.dataset.value, 'errors.category': '', similar: [] });
      return this.checkSimilar();
    },
    /** Open reports of this alley and category: the resident may follow one instead. */
    checkSimilar() {
      const { code, alleyId, category } = this.data;
      if (!category || (!code && !alleyId)) return Promise.resolve();
      return issues
        .similar({ boardCode: code, alleyId, category })
        .then((/** @type {any} */ res) => {
          // A slower answer for a category the resident has since changed is dropped.
          if (this.data.category === category) this.setData({ similar: res.items || [] });
        })
        .catch(() => this.setData({ similar: [] })); // only a hint: never in the way of reporting
    },
    /** @param {any} e */
    onInput(e) {
      const field = e.currentTarget.dataset.field;
      const key = e.currentTarget.dataset.key || field;
      this.setData({ [field]: e.detail.value, [`errors.${key}`]: '' });
    },
    /** @param {any} e */
    onAnonymous(e) {
      this.setData({ anonymous: !!(e.detail.value && e.detail.value.length) });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    onLocation() {
      this.setData({ locationNote: '' });
      wx.chooseLocation({
        success: (res) =>
          this.setData({ location: { lat: res.latitude, lng: res.longitude, address: res.address || res.name || '' } }),
        fail: (err) => {
          const why = permission.refusal(err);
          if (why === 'privacy') this.setData({ locationNote: permission.PRIVACY_DECLINED });
          else if (why === 'denied') {
            this.setData({ locationNote: '没有位置权限，可以不选位置，在问题说明里写清楚在哪里。' });
            permission.offerSettings('位置信息');
          }
        },
      });
    },
    onClearLocation() {
      this.setData({ location: null });
    },
    /** @returns {Record<string, string>} per-field problems found before sending */
    check() {
      /** @type {Record<string, string>} */
      const errors = {};
      if (!this.data.category) errors.category = '请选择问题类别';
      if (!this.data.content.trim()) errors.content = '请写一写是什么问题、在哪里';
      else if (this.data.content.length > 1000) errors.content = '最多 1000 个字';
      const phone = this.data.phone.trim();
      if (phone && !/^[0-9\-\s+]{7,20}$/.test(phone)) errors.contact_phone = '请填写正确的电话号码，或者不填';
      return errors;
    },
    /**
     * @param {Record<string, string>} errors
     * @param {string} message
     */
    showErrors(errors, message) {
      showFieldErrors(this, errors, FIELD_ORDER, message, { state: 'form' });
    },
    /** The 提交 tap. */
    submit() {
      const errors = this.check();
      if (Object.keys(errors).length) {
        this.showErrors(errors, '还有内容没填好，请看红字提示。');
        return Promise.resolve();
      }
      if (this.data.photosBusy) {
        this.setData({ error: '照片还在上传，请稍等一下再提交。' });
        return Promise.resolve();
      }
      if (this.data.photosFailed) {
        this.setData({ error: `有 ${this.data.photosFailed} 张照片没有传上去，请点照片重试，或删掉后再提交。` });
        return Promise.resolve();
      }
      if (!this.data.code && !this.data.alleyId) {
        this.setData({ state: 'scan', error: NO_BOARD });
        return Promise.resolve();
      }
      // First thing after the checks, before any request: WeChat honours the consent dialog
      // only when it is called directly in the tap handler.
      const consent = subscribe.ask(this.data.templateIds);
      this.setData({ state: 'sending', error: '', errors: {} });
      const report = {
        boardCode: this.data.code,
        alleyId: this.data.alleyId,
        category: this.data.category,
        content: this.data.content.trim(),
        photoIds: this.data.photoIds,
        anonymous: this.data.anonymous,
        location: this.data.location,
        contactPhone: this.data.phone.trim(),
      };
      return consent.then((answer) =>
        issues
          .report(report)
          .then((/** @type {any} */ issue) => {
            this.setData({ state: 'done', created: issue, deadlineDay: fmt.monthDay(issue.deadline), told: this.toldBy(answer) });
          })
          .catch((err) => {
            const fields = (err && err.fields) || {};
            if (FIELD_ORDER.some((f) => fields[f])) this.showErrors(fields, api.formMessageOf(err));
            else this.setData({ state: 'form', error: api.formMessageOf(err), errors: fields });
          }),
      );
    },
    /**
     * How the resident will hear of progress, after their answer to the consent dialog.
     * @param {{asked: boolean, accepted: string[], refused: boolean}} answer
     */
    toldBy(answer) {
      if (answer.accepted.length) return '办理有进展时，微信会发服务通知告诉您；也可以随时在“我的”里查看。';
      if (answer.refused) return '您没有允许微信通知，所以不会收到进展提醒。请到“我的”里查看办理进展。';
      return '办理进展请到“我的”里查看。';
    },
    /** 跟进这一件: join the existing report instead of sending this one. */
    /** @param {any} e */
    onFollow(e) {
      const other = this.data.similar[Number(e.currentTarget.dataset.index)];
      return issues
        .follow(other.id)
        .then((/** @type {any} */ issue) =>
          this.setData({ state: 'followed', followed: { ...issue, status_label: fmt.residentStatusWord(issue.status, issue.status_label) }, error: '' }),
        )
        .catch((err) => this.setData({ error: api.formMessageOf(err) }));
    },
    onOpen() {
      const item = this.data.created || this.data.followed;
      wx.redirectTo({ url: `/pages/issue/issue?id=${item.id}` });
    },
    onBack() {
      wx.navigateBack({ delta: 1 });
    },
  },
});
