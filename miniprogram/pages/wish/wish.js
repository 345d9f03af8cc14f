/**
 * 提交微心愿 (pages/wish/wish): beneficiary type, the name shown on the wall, title, text,
 * photos, optional phone → POST /api/v1/wishes; the community reviews it before it reaches
 * the wall. With ?behalf=1 (from the steward's 工作台) a steward posts on a resident's behalf
 * for one of their alleys (?alley_id=). Typed text survives every error.
 */
const api = require('../../utils/api');
const { showFieldErrors } = require('../../utils/form');

/** The form's fields top to bottom: the first wrong one is scrolled to. */
const FIELD_ORDER = ['on_behalf_of', 'beneficiary_type', 'display_name', 'title', 'content', 'contact_phone'];
const wishes = require('../../services/wishes');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'form', // form | sending | done
    code: '',
    alleyId: 0,
    behalf: false,
    types: fmt.BENEFICIARY_TYPES,
    beneficiary: '',
    displayName: '',
    title: '',
    content: '',
    phone: '',
    onBehalfOf: '',
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    errors: /** @type {Record<string, string>} */ ({}),
    error: '',
    created: /** @type {any} */ (null),
  },
  methods: {
    /** @param {{code?: string, alley_id?: string, behalf?: string}} options */
    onLoad(options) {
      const last = wx.getStorageSync('lastBoard');
      const code = options.code || (!options.alley_id && last ? last.code : '');
      this.setData({
        code,
        alleyId: Number(options.alley_id || 0),
        behalf: options.behalf === '1',
        error: code || options.alley_id ? '' : '请先扫描街巷公示牌上的二维码，再提交心愿。',
      });
    },
    /** @param {any} e */
    onType(e) {
      this.setData({ beneficiary: e.currentTarget.dataset.value, 'errors.beneficiary_type': '' });
    },
    /** @param {any} e */
    onInput(e) {
      const field = e.currentTarget.dataset.field;
      this.setData({ [field]: e.detail.value, [`errors.${e.currentTarget.dataset.key || field}`]: '' });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    submit() {
      /** @type {Record<string, string>} */
      const errors = {};
      if (!this.data.beneficiary) errors.beneficiary_type = '请选择为谁许愿';
      if (!this.data.displayName.trim()) errors.display_name = '请填写心愿墙上显示的称呼，如“张奶奶”';
      if (!this.data.title.trim()) errors.title = '请用一句话写心愿，如“想要一副老花镜”';
      if (!this.data.content.trim()) errors.content = '请说说具体情况';
      if (this.data.behalf && !this.data.onBehalfOf.trim()) errors.on_behalf_of = '请填写代谁提交';
      if (Object.keys(errors).length) {
        showFieldErrors(this, errors, FIELD_ORDER, '还有内容没填好，请看红字提示。');
        return Promise.resolve();
      }
      if (this.data.photosBusy || this.data.photosFailed) {
        this.setData({ error: this.data.photosBusy ? '照片还在上传，请稍等一下再提交。' : '有照片没有传上去，请点照片重试，或删掉后再提交。' });
        return Promise.resolve();
      }
      const wish = {
        boardCode: this.data.code,
        alleyId: this.data.alleyId,
        beneficiaryType: this.data.beneficiary,
        displayName: this.data.displayName.trim(),
        title: this.data.title.trim(),
        content: this.data.content.trim(),
        photoIds: this.data.photoIds,
        contactPhone: this.data.phone.trim(),
        onBehalfOf: this.data.behalf ? this.data.onBehalfOf.trim() : '',
      };
      this.setData({ state: 'sending', error: '', errors: {} });
      return wishes
        .create(wish)
        .then((/** @type {any} */ wish) => this.setData({ state: 'done', created: wish }))
        .catch((err) => showFieldErrors(this, (err && err.fields) || {}, FIELD_ORDER, api.formMessageOf(err), { state: 'form' }));
    },
    onOpen() {
      wx.redirectTo({ url: `/pages/wish-item/wish-item?id=${this.data.created.id}` });
    },
  },
});
