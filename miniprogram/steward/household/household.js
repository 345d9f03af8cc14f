/**
 * 民情联系卡 (steward/household/household?id=): one of my households — members, tags, the
 * 一人一策 plans, recent visits — a call button for the head of household, and recording a
 * visit with a note and photos (POST /api/v1/households/{id}/visits).
 */
const api = require('../../utils/api');
const households = require('../../services/households');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'loading', // loading | error | ready
    id: 0,
    h: /** @type {any} */ (null),
    note: '',
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    busy: false,
    error: '',
    notice: '',
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.load();
    },
    /** @param {{id?: string}} options */
    onLoad(options) {
      this.setData({ id: Number((options && options.id) || 0) });
      return this.load();
    },
    load() {
      return households
        .get(this.data.id)
        .then((/** @type {any} */ h) =>
          this.setData({
            state: 'ready',
            h: {
              ...h,
              phoneText: fmt.groupPhone(h.head_phone),
              tagText: h.tags.join('、'),
              dueText: h.visit_due_at ? fmt.dateTime(h.visit_due_at) : '',
              members: h.members.map((/** @type {any} */ m) => ({ ...m, phoneText: fmt.groupPhone(m.phone) })),
              visits: h.visits.map((/** @type {any} */ v) => ({ ...v, when: fmt.dateTime(v.visited_at), photoList: fmt.photoUrls(v.photos) })),
            },
          }),
        )
        .catch((err) => this.setData({ state: this.data.h ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @param {any} e */
    onCall(e) {
      const phone = e.currentTarget.dataset.phone;
      if (phone) wx.makePhoneCall({ phoneNumber: String(phone) });
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    submit() {
      if (this.data.photosBusy || this.data.photosFailed) {
        this.setData({ error: this.data.photosBusy ? '照片还在上传，请稍等。' : '有照片没有传上去，请点照片重试或删掉。' });
        return Promise.resolve();
      }
      const note = this.data.note.trim();
      if (!note) {
        this.setData({ error: '请写一句走访情况。' });
        return Promise.resolve();
      }
      this.setData({ busy: true, error: '', notice: '' });
      return households
        .visit(this.data.id, note, this.data.photoIds)
        .then(() => {
          this.setData({ busy: false, notice: '走访已登记', note: '', photoIds: [] });
          const picker = this.selectComponent('#photos');
          if (picker) picker.reset();
          return this.load();
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
  },
});
