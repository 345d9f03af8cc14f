/**
 * 随手做 (steward/quick/quick): a problem the steward found and fixed on the spot, reported
 * and closed in one step (POST /api/v1/issues with `fixed_on_spot`), for one of their alleys.
 */
const api = require('../../utils/api');
const auth = require('../../services/auth');
const issues = require('../../services/issues');
const fmt = require('../../utils/format');
const categories = require('../../utils/categories');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'loading', // loading | error | form | sending | done
    alleys: /** @type {any[]} */ ([]),
    alleyId: 0,
    categories: fmt.CATEGORIES,
    category: '',
    content: '',
    note: '',
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    errors: /** @type {Record<string, string>} */ ({}),
    error: '',
    created: /** @type {any} */ (null),
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.onLoad();
    },
    onLoad() {
      categories.load(this);
      return auth
        .me()
        .then((/** @type {any} */ me) => {
          const alleys = me.areas.filter((/** @type {any} */ a) => a.kind === 'alley');
          if (!alleys.length) throw new api.ApiError(403, 'forbidden', '只有小巷管家可以登记随手做。');
          this.setData({ state: 'form', alleys, alleyId: alleys[0].id });
        })
        .catch((err) => this.setData({ state: 'error', error: api.messageOf(err) }));
    },
    /** @param {any} e */
    onAlley(e) {
      this.setData({ alleyId: Number(e.currentTarget.dataset.id) });
    },
    /** @param {any} e */
    onCategory(e) {
      this.setData({ category: e.currentTarget.dataset.value, 'errors.category': '' });
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value, [`errors.${e.currentTarget.dataset.field}`]: '' });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    submit() {
      /** @type {Record<string, string>} */
      const errors = {};
      if (!this.data.category) errors.category = '请选择类别';
      if (!this.data.content.trim()) errors.content = '请写发现了什么问题';
      if (Object.keys(errors).length) {
        this.setData({ errors, error: '还有内容没填好，请看红字提示。' });
        return Promise.resolve();
      }
      if (this.data.photosBusy || this.data.photosFailed) {
        this.setData({ error: this.data.photosBusy ? '照片还在上传，请稍等。' : '有照片没有传上去，请点照片重试或删掉。' });
        return Promise.resolve();
      }
      this.setData({ state: 'sending', error: '' });
      return issues
        .fixedOnSpot({
          alleyId: this.data.alleyId,
          category: this.data.category,
          content: this.data.content.trim(),
          photoIds: this.data.photoIds,
          note: this.data.note.trim(),
        })
        .then((/** @type {any} */ issue) => this.setData({ state: 'done', created: issue }))
        .catch((err) => this.setData({ state: 'form', error: api.messageOf(err), errors: (err && err.fields) || {} }));
    },
    again() {
      this.setData({ state: 'form', category: '', content: '', note: '', photoIds: [], created: null });
      const picker = this.selectComponent('#photos');
      if (picker) picker.reset();
    },
  },
});
