/**
 * 心愿详情 (pages/wish-item/wish-item?id=): one wish with the actions the API offers the
 * caller (`actions`): claim / release (volunteer, party member, steward), fulfil with a note
 * and photos (the claimer), confirm with a rating (the beneficiary's side), approve / reject
 * with a reason (staff). Typed text is kept whenever an action fails. A wish on the wall can
 * be forwarded (转发), titled by whose wish it is and what.
 */
const api = require('../../utils/api');
const wishes = require('../../services/wishes');
const fmt = require('../../utils/format');
const { wishView } = require('../../utils/items');
const { confirm } = require('../../utils/confirm');
const textsize = require('../../behaviors/textsize');

// The statuses a wish is public in (core/items/privacy.py WISH_PUBLIC_STATUSES).
const PUBLIC = ['published', 'claimed', 'fulfilled', 'closed'];

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    id: 0,
    wish: /** @type {any} */ (null),
    actions: /** @type {Record<string, boolean>} */ ({}),
    error: '',
    notice: '',
    note: '',
    reason: '',
    score: 0,
    scoreWord: '',
    words: fmt.RATING_WORDS,
    rateText: '',
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    busy: false,
    isSteward: false,
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.load();
    },
    /** @param {{id?: string}} options */
    onLoad(options) {
      this.setData({ id: Number(options.id), isSteward: api.roles().includes('steward') });
      return this.load();
    },
    load() {
      if (!this.data.wish) this.setData({ state: 'loading' });
      return wishes
        .get(this.data.id)
        .then((/** @type {any} */ wish) => this.show(wish))
        .catch((err) => this.setData({ state: this.data.wish ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @param {any} wish */
    show(wish) {
      /** @type {Record<string, boolean>} */
      const actions = {};
      (wish.actions || []).forEach((/** @type {string} */ a) => (actions[a] = true));
      this.setData({ state: 'ready', wish: wishView(wish), actions });
      // Only a wish on the wall may be forwarded: one under review or rejected is private.
      if (PUBLIC.includes(wish.status)) wx.showShareMenu({ menus: ['shareAppMessage'] });
      else wx.hideShareMenu({});
    },
    /** 转发 a wish on the wall: whose wish and what, so a neighbour can claim it. */
    onShareAppMessage() {
      const w = this.data.wish;
      if (!w || !PUBLIC.includes(w.status)) return { title: '小巷管家 · 心愿墙', path: '/pages/wishes/wishes' };
      const ask = w.status === 'published' ? '，等您来认领' : '';
      return { title: `${w.display_name}的微心愿：${w.title}${ask}`, path: `/pages/wish-item/wish-item?id=${w.id}` };
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    /** @param {any} e */
    onRate(e) {
      const score = Number(e.detail.value || e.currentTarget.dataset.score);
      this.setData({ score, scoreWord: fmt.RATING_WORDS[score - 1] || '' });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    /**
     * @param {() => Promise<any>} call the step (services/wishes), answering the wish
     * @param {string} done
     * @param {string[]} clear
     */
    act(call, done, clear) {
      this.setData({ busy: true, error: '', notice: '' });
      return call()
        .then((/** @type {any} */ wish) => {
          this.show(wish);
          /** @type {Record<string, any>} */
          const reset = { busy: false, notice: done };
          clear.forEach((f) => (reset[f] = f === 'score' ? 0 : ''));
          this.setData(reset);
        })
        .catch((err) => {
          this.setData({ busy: false, error: api.messageOf(err) });
          if (err && err.status === 409) return this.load();
          return undefined;
        });
    },
    /**
     * 认领: asked first — the wish leaves the wall for everyone else and the resident waits on
     * the claimer.
     * @param {any} e
     */
    claim(e) {
      const role = e.currentTarget.dataset.role;
      const title = this.data.wish ? this.data.wish.title : '';
      return confirm({
        title: '确认认领这个心愿？',
        content: `认领后“${title}”在心愿墙上显示为已认领，别人不能再认领；由您负责帮忙实现，请尽快联系。`,
        confirmText: '认领',
      }).then((yes) => (yes ? this.act(() => wishes.claim(this.data.id, role), '认领成功，请尽快帮忙实现这个心愿。', []) : undefined));
    },
    release() {
      return this.act(() => wishes.release(this.data.id, this.data.reason.trim()), '已放弃认领，心愿回到心愿墙。', ['reason']);
    },
    fulfil() {
      if (!this.data.note.trim()) {
        this.setData({ error: '请写一写心愿是怎样实现的。' });
        return Promise.resolve();
      }
      if (this.data.photosBusy || this.data.photosFailed) {
        this.setData({ error: this.data.photosBusy ? '照片还在上传，请稍等。' : '有照片没有传上去，请点照片重试或删掉。' });
        return Promise.resolve();
      }
      return this.act(() => wishes.fulfil(this.data.id, this.data.note.trim(), this.data.photoIds), '已登记心愿实现，等待居民确认。', ['note']);
    },
    confirm() {
      if (!this.data.score) {
        this.setData({ error: '请先选择满意程度。' });
        return Promise.resolve();
      }
      return this.act(() => wishes.confirm(this.data.id, this.data.score, this.data.rateText.trim()), '谢谢确认！', ['score', 'scoreWord', 'rateText']);
    },
    /** 通过审核: asked first — the wish goes up on the public wall at once. */
    approve() {
      return confirm({
        title: '确认通过审核？',
        content: '通过后心愿会马上公开在心愿墙上，所有人都能看到。',
        confirmText: '通过',
      }).then((yes) => (yes ? this.act(() => wishes.approve(this.data.id), '已通过审核，心愿已上心愿墙。', []) : undefined));
    },
    reject() {
      if (!this.data.reason.trim()) {
        this.setData({ error: '驳回请写明原因，会告知提交人。' });
        return Promise.resolve();
      }
      return this.act(() => wishes.reject(this.data.id, this.data.reason.trim()), '已驳回。', ['reason']);
    },
    /** @param {any} e */
    onCall(e) {
      wx.makePhoneCall({ phoneNumber: String(e.currentTarget.dataset.phone) });
    },
  },
});
