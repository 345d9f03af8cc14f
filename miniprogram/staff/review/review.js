/**
 * 待审核 (staff/review/review): wishes waiting for review (approve; reject with a reason)
 * and held issues waiting for moderation (publish on the board / keep private).
 */
const api = require('../../utils/api');
const issues = require('../../services/issues');
const wishes = require('../../services/wishes');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const { confirm } = require('../../utils/confirm');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: {
    tab: 'wishes', // wishes | held
    wishes: /** @type {any[]} */ ([]),
    held: /** @type {any[]} */ ([]),
    reasons: /** @type {Record<string, string>} */ ({}),
    notice: '',
    busy: false,
  },
  methods: {
    onLoad() {
      return this.load();
    },
    load() {
      const fetch = () =>
        Promise.all([wishes.pendingReview(), issues.heldInArea()]).then(([pending, held]) => ({
          wishes: pending.items.map((/** @type {any} */ w) => ({ ...w, when: fmt.dateTime(w.created_at), verdictText: fmt.verdictWord(w.check_verdict) })),
          held: held.items.map((/** @type {any} */ i) => ({ ...i, when: fmt.dateTime(i.created_at) })),
        }));
      return this.loadWith(fetch, { keepMessage: true });
    },
    /** @param {any} e */
    onTab(e) {
      this.setData({ tab: e.currentTarget.dataset.tab });
    },
    /** @param {any} e */
    onReason(e) {
      this.setData({ [`reasons.${e.currentTarget.dataset.id}`]: e.detail.value });
    },
    /**
     * @param {() => Promise<any>} call the step (services/wishes or services/issues)
     * @param {string} done
     */
    act(call, done) {
      this.setData({ busy: true, error: '', notice: '' });
      return call()
        .then(() => {
          this.setData({ busy: false, notice: done });
          return this.load();
        })
        .catch((err) => {
          this.setData({ busy: false, error: api.messageOf(err) });
        });
    },
    /** 通过: asked first — the wish goes up on the public wall at once. @param {any} e */
    approve(e) {
      const id = e.currentTarget.dataset.id;
      const wish = this.data.wishes.find((/** @type {any} */ w) => w.id === id);
      return confirm({
        title: '确认通过审核？',
        content: `通过后“${wish ? wish.title : '这个心愿'}”会马上公开在心愿墙上，所有人都能看到。`,
        confirmText: '通过',
      }).then((yes) => (yes ? this.act(() => wishes.approve(id), '已通过，心愿已上心愿墙。') : undefined));
    },
    /** @param {any} e */
    reject(e) {
      const id = e.currentTarget.dataset.id;
      const reason = (this.data.reasons[id] || '').trim();
      if (!reason) {
        this.setData({ error: '驳回请写明原因，会告知提交人。' });
        return Promise.resolve();
      }
      return this.act(() => wishes.reject(id, reason), '已驳回，原因会告知提交人。');
    },
    /** @param {any} e */
    publish(e) {
      return this.act(() => issues.publish(e.currentTarget.dataset.id), '已公开到公示牌。');
    },
    /** @param {any} e */
    keepPrivate(e) {
      const id = e.currentTarget.dataset.id;
      const note = (this.data.reasons[`i${id}`] || '').trim();
      return this.act(() => issues.keepPrivate(id, note), '已设为不公开，管家照常办理。');
    },
    /** @param {any} e */
    onOpenIssue(e) {
      wx.navigateTo({ url: `/staff/issue/issue?id=${e.currentTarget.dataset.id}` });
    },
    /** @param {any} e */
    onOpenWish(e) {
      wx.navigateTo({ url: `/pages/wish-item/wish-item?id=${e.currentTarget.dataset.id}` });
    },
  },
});
