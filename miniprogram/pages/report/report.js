/**
 * 反映问题 (pages/report/report): category, text, up to 9 photos, optional location, phone
 * and anonymity; asks for subscribe-message consent, then POST /api/v1/issues. Choosing a
 * category first asks GET /issues/similar: open reports of the same alley and category are
 * offered as 跟进这一件 (POST /issues/{id}/follow) instead of reporting the problem again.
 * Whatever the resident typed stays on the page after any error.
 */
const api = require('../../utils/api');
const issues = require('../../services/issues');
const fmt = require('../../utils/format');
const { askForUpdates } = require('../../utils/subscribe');
const categories = require('../../utils/categories');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'form', // form | sending | done | followed
    code: '',
    alleyId: 0,
    categories: fmt.CATEGORIES,
    category: '',
    content: '',
    phone: '',
    anonymous: false,
    location: /** @type {any} */ (null),
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    errors: /** @type {Record<string, string>} */ ({}),
    error: '',
    created: /** @type {any} */ (null),
    similar: /** @type {any[]} */ ([]),
    followed: /** @type {any} */ (null),
  },
  methods: {
    /** @param {{q?: string, code?: string, alley_id?: string}} options */
    onLoad(options) {
      const code = fmt.boardCodeFrom(options || {});
      const last = wx.getStorageSync('lastBoard');
      this.setData({
        code: code || (!options.alley_id && last ? last.code : ''),
        alleyId: Number(options.alley_id || 0),
        error: code || options.alley_id || last ? '' : '请先扫描街巷公示牌上的二维码，再反映问题。',
      });
      categories.load(this);
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
      this.setData({ [field]: e.detail.value, [`errors.${field}`]: '' });
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
      wx.chooseLocation({
        success: (res) =>
          this.setData({ location: { lat: res.latitude, lng: res.longitude, address: res.address || res.name || '' } }),
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
    submit() {
      const errors = this.check();
      if (Object.keys(errors).length) {
        this.setData({ errors, error: '还有内容没填好，请看红字提示。' });
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
        this.setData({ error: '请先扫描街巷公示牌上的二维码，再反映问题。' });
        return Promise.resolve();
      }
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
      return askForUpdates()
        .then(() => issues.report(report))
        .then((/** @type {any} */ issue) => {
          this.setData({ state: 'done', created: issue });
        })
        .catch((err) => {
          this.setData({ state: 'form', error: api.messageOf(err), errors: (err && err.fields) || {} });
        });
    },
    /** 跟进这一件: join the existing report instead of sending this one. */
    /** @param {any} e */
    onFollow(e) {
      const other = this.data.similar[Number(e.currentTarget.dataset.index)];
      return issues
        .follow(other.id)
        .then((/** @type {any} */ issue) => this.setData({ state: 'followed', followed: issue, error: '' }))
        .catch((err) => this.setData({ error: api.messageOf(err) }));
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
