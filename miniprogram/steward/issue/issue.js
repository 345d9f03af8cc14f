/**
 * 管家办理 (steward/issue/issue?id=): the item with the resident's photos, location and
 * contact phone (as the API shows them to its steward), and the steward's actions from
 * `actions`, only those possible now: before acceptance only 接单 (the server would take a
 * resolve too, but a steward who has not said "mine" should not close it); then resolve with a note, photos, the resolution level and the outcome
 * chosen explicitly (办结: 已解决 / 已答复 / 不属于职责 / 无法解决; a 常用回复 of the community fills
 * the note), escalate to the community (上报社区), leave a message. Typed text survives errors.
 */
const api = require('../../utils/api');
const issues = require('../../services/issues');
const fmt = require('../../utils/format');
const { issueView } = require('../../utils/items');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    id: 0,
    issue: /** @type {any} */ (null),
    actions: /** @type {Record<string, boolean>} */ ({}),
    levels: fmt.RESOLUTION_LEVELS,
    level: '现场解决',
    outcomes: fmt.OUTCOMES,
    outcome: '',
    replies: /** @type {any[]} */ ([]),
    note: '',
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    error: '',
    notice: '',
    busy: false,
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.load();
    },
    /** @param {{id?: string}} options */
    onLoad(options) {
      this.setData({ id: Number(options.id) });
      return this.load();
    },
    load() {
      if (!this.data.issue) this.setData({ state: 'loading' });
      return issues
        .get(this.data.id)
        .then((/** @type {any} */ issue) => this.show(issue))
        .catch((err) => this.setData({ state: this.data.issue ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @param {any} issue */
    show(issue) {
      /** @type {Record<string, boolean>} */
      const actions = {};
      (issue.actions || []).forEach((/** @type {string} */ a) => (actions[a] = true));
      this.setData({ state: 'ready', issue: issueView(issue), actions });
      if (actions.resolve && !this.data.replies.length) this.loadReplies();
    },
    /** The community's 常用回复; the form works without them (an error leaves none). */
    loadReplies() {
      return issues
        .replyTemplates(this.data.id)
        .then((/** @type {any} */ page) => this.setData({ replies: page.items || [] }))
        .catch(() => this.setData({ replies: [] }));
    },
    /** @param {any} e */
    onOutcome(e) {
      this.setData({ outcome: e.currentTarget.dataset.value });
    },
    /** A 常用回复 tapped: its text is the note (to edit), its outcome chosen if none is. @param {any} e */
    onReply(e) {
      const reply = this.data.replies.find((/** @type {any} */ r) => r.id === Number(e.currentTarget.dataset.id));
      if (!reply) return;
      this.setData({ note: reply.text, outcome: this.data.outcome || reply.outcome || '' });
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    /** @param {any} e */
    onLevel(e) {
      this.setData({ level: e.currentTarget.dataset.value });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    /**
     * @param {() => Promise<any>} call the step (services/issues), answering the issue
     * @param {string} done
     * @param {boolean} clear empty the note and photos on success
     */
    act(call, done, clear) {
      this.setData({ busy: true, error: '', notice: '' });
      return call()
        .then((/** @type {any} */ issue) => {
          this.show(issue);
          this.setData({ busy: false, notice: done });
          if (clear) {
            this.setData({ note: '', photoIds: [] });
            const picker = this.selectComponent('#photos');
            if (picker) picker.reset();
          }
        })
        .catch((err) => {
          this.setData({ busy: false, error: api.messageOf(err) });
          if (err && err.status === 409) return this.load();
          return undefined;
        });
    },
    accept() {
      return this.act(() => issues.accept(this.data.id), '已接单，请尽快处理。', false);
    },
    /** @returns {string} a problem with the note or photos, or '' */
    needNote() {
      if (!this.data.note.trim()) return '请先写处理说明。';
      if (this.data.photosBusy) return '照片还在上传，请稍等。';
      if (this.data.photosFailed) return '有照片没有传上去，请点照片重试或删掉。';
      return '';
    },
    resolve() {
      const chosen = fmt.OUTCOMES.find((o) => o.value === this.data.outcome);
      let problem = '';
      if (chosen && chosen.reason && !this.data.note.trim()) {
        problem = chosen.value === 'answered' ? '已答复请写明答复内容。' : '无法解决请写明原因。';
      }
      problem = problem || this.needNote() || (chosen ? '' : '请选择办结结果：已解决、已答复、不属于职责或无法解决。');
      if (problem) {
        this.setData({ error: problem });
        return Promise.resolve();
      }
      const how = { note: this.data.note.trim(), photoIds: this.data.photoIds, level: this.data.level, outcome: this.data.outcome };
      const done = chosen && chosen.value !== 'solved' ? `已办结（${chosen.label}），居民会看到结果和说明。` : '已办结，等待居民评价。';
      return this.act(() => issues.resolve(this.data.id, how), done, true).then(() => {
        if (this.data.state === 'ready' && !this.data.actions.resolve) this.setData({ outcome: '' });
      });
    },
    escalate() {
      if (!this.data.note.trim()) {
        this.setData({ error: '上报社区请写明原因。' });
        return Promise.resolve();
      }
      return this.act(() => issues.escalate(this.data.id, this.data.note.trim()), '已上报社区。', true);
    },
    comment() {
      if (!this.data.note.trim()) {
        this.setData({ error: '请先写留言内容。' });
        return Promise.resolve();
      }
      return this.act(() => issues.comment(this.data.id, this.data.note.trim(), this.data.photoIds), '留言已记录。', true);
    },
  },
});
