/**
 * 管家办理 (steward/issue/issue?id=): the item with the resident's photos, location and
 * contact phone (as the API shows them to its steward), and the steward's actions from
 * `actions`, only those possible now: before acceptance only 接单 (the server would take a
 * resolve too, but a steward who has not said "mine" should not close it); then resolve with a note, photos, the resolution level and the outcome
 * chosen explicitly (办结: 已解决 / 已答复 / 不属于职责 / 无法解决; a 常用回复 of the community fills
 * the note), escalate to the community (上报社区), leave a message. Typed text survives errors.
 * Loading, the note-and-photos form and sending: behaviors/item-work.
 */
const issues = require('../../services/issues');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');
const itemWork = require('../../behaviors/item-work');

/** What a successful resolve, escalate or comment empties. */
const SENT = { note: '', photoIds: [] };

Component({
  behaviors: [textsize, itemWork],
  data: {
    levels: fmt.RESOLUTION_LEVELS,
    level: '现场解决',
    outcomes: fmt.OUTCOMES,
    outcome: '',
    replies: /** @type {any[]} */ ([]),
  },
  methods: {
    /** Called by behaviors/item-work after each item shown. @param {Record<string, boolean>} actions */
    afterShow(actions) {
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
    onLevel(e) {
      this.setData({ level: e.currentTarget.dataset.value });
    },
    accept() {
      return this.act(() => issues.accept(this.data.id), '已接单，请尽快处理。');
    },
    resolve() {
      const chosen = fmt.OUTCOMES.find((o) => o.value === this.data.outcome);
      let problem = '';
      if (chosen && chosen.reason && !this.data.note.trim()) {
        problem = chosen.value === 'answered' ? '已答复请写明答复内容。' : '无法解决请写明原因。';
      }
      problem = problem || this.noteProblem('请先写处理说明。') || (chosen ? '' : '请选择办结结果：已解决、已答复、不属于职责或无法解决。');
      if (problem) return this.refuse(problem);
      const how = { note: this.data.note.trim(), photoIds: this.data.photoIds, level: this.data.level, outcome: this.data.outcome };
      const done = chosen && chosen.value !== 'solved' ? `已办结（${chosen.label}），居民会看到结果和说明。` : '已办结，等待居民评价。';
      return this.act(() => issues.resolve(this.data.id, how), done, SENT).then(() => {
        if (this.data.state === 'ready' && !this.data.actions.resolve) this.setData({ outcome: '' });
      });
    },
    escalate() {
      if (!this.data.note.trim()) return this.refuse('上报社区请写明原因。');
      return this.act(() => issues.escalate(this.data.id, this.data.note.trim()), '已上报社区。', SENT);
    },
    comment() {
      if (!this.data.note.trim()) return this.refuse('请先写留言内容。');
      return this.act(() => issues.comment(this.data.id, this.data.note.trim(), this.data.photoIds), '留言已记录。', SENT);
    },
  },
});
