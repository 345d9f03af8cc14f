/**
 * 诉求详情 (pages/issue/issue?id=): status, deadline, photos and the timeline for the
 * resident who reported it, with the actions the API offers them (`actions`): rate 1–5
 * (很不满意…很满意) with a comment, reopen within the window, cancel before acceptance,
 * leave a message; and a call button for the stewards.
 */
const api = require('../../utils/api');
const issues = require('../../services/issues');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const { issueView } = require('../../utils/items');
const { confirm } = require('../../utils/confirm');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: {
    id: 0,
    issue: /** @type {any} */ (null),
    actions: /** @type {Record<string, boolean>} */ ({}),
    notice: '',
    score: 0,
    scoreWord: '',
    words: fmt.RATING_WORDS,
    rateText: '',
    note: '',
    busy: false,
    stewardPhones: /** @type {any[]} */ ([]),
  },
  methods: {
    /** @param {{id?: string}} options */
    onLoad(options) {
      this.setData({ id: Number(options.id) });
      return this.load();
    },
    load() {
      const fetch = () => issues.get(this.data.id).then((/** @type {any} */ issue) => this.show(issue));
      return this.loadWith(fetch, { keepMessage: true });
    },
    /** @param {any} issue */
    show(issue) {
      /** @type {Record<string, boolean>} */
      const actions = {};
      (issue.actions || []).forEach((/** @type {string} */ a) => (actions[a] = true));
      this.setData({
        state: 'ready',
        issue: { ...issueView(issue), status_label: fmt.residentStatusWord(issue.status, issue.status_label) },
        actions,
        stewardPhones: (issue.stewards || [])
          .filter((/** @type {any} */ s) => s.phone)
          .map((/** @type {any} */ s) => ({ ...s, phoneText: fmt.groupPhone(s.phone) })),
      });
    },
    /** @param {any} e */
    onRate(e) {
      const score = Number(e.detail.value || e.currentTarget.dataset.score);
      this.setData({ score, scoreWord: fmt.RATING_WORDS[score - 1] || '' });
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    /**
     * Run one action; on success show the new state and clear what was typed for it,
     * on failure keep everything typed and show the message.
     * @param {() => Promise<any>} call the action (services/issues), answering the issue
     * @param {string} done message shown on success
     * @param {string[]} clear fields to empty on success
     */
    act(call, done, clear) {
      this.setData({ busy: true, error: '', notice: '' });
      return call()
        .then((/** @type {any} */ issue) => {
          this.show(issue);
          /** @type {Record<string, any>} */
          const reset = { busy: false, notice: done };
          clear.forEach((f) => (reset[f] = f === 'score' ? 0 : ''));
          this.setData(reset);
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
    submitRating() {
      if (!this.data.score) {
        this.setData({ error: '请先点星星或下面的文字选择满意程度。' });
        return Promise.resolve();
      }
      const text = this.data.rateText.trim();
      return this.act(() => issues.rate(this.data.id, this.data.score, text), '谢谢您的评价！', ['score', 'scoreWord', 'rateText']);
    },
    reopen() {
      if (!this.data.note.trim()) {
        this.setData({ error: '请写一写哪里还没有解决。' });
        return Promise.resolve();
      }
      return this.act(() => issues.reopen(this.data.id, this.data.note.trim()), '已重新反映，管家会再次处理。', ['note']);
    },
    comment() {
      if (!this.data.note.trim()) {
        this.setData({ error: '请先写留言内容。' });
        return Promise.resolve();
      }
      return this.act(() => issues.comment(this.data.id, this.data.note.trim()), '留言已发送。', ['note']);
    },
    /** 撤销: asked first — a cancelled report cannot be taken back (report it again instead). */
    cancel() {
      return confirm({
        title: '确认撤销这条反映？',
        content: '撤销后管家不再处理，也不能恢复；问题还在的话需要重新反映。',
        confirmText: '撤销',
      }).then((yes) =>
        yes ? this.act(() => issues.cancel(this.data.id, this.data.note.trim()), '已撤销这条反映。', ['note']) : undefined,
      );
    },
    /** @param {any} e */
    onCall(e) {
      wx.makePhoneCall({ phoneNumber: String(e.currentTarget.dataset.phone) });
    },
  },
});
