/**
 * 单位办理 (unit/issue/issue?id=): an item whistled to my unit, with the resident's photos and
 * phone as the API shows them to the unit, and the unit's actions — each button only when the
 * item's `actions` allow it: 报到 (check-in), 进展 (a note with photos), 办结 (a result with
 * photos), 申请延期 (days and a reason; staff decide), 退回 (a reason; back to the community).
 * A refusal shows the server's Chinese message; a 409 (someone of the unit acted first, or the
 * item left the unit) reloads the item so the buttons match it. Typed text survives errors.
 */
const api = require('../../utils/api');
const issues = require('../../services/issues');
const { issueView } = require('../../utils/items');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    id: 0,
    issue: /** @type {any} */ (null),
    actions: /** @type {Record<string, boolean>} */ ({}),
    note: '',
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    days: '',
    extensionReason: '',
    returnReason: '',
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
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    /**
     * @param {() => Promise<any>} call the step (services/issues), answering the issue
     * @param {string} done what to tell on success
     * @param {Record<string, any>} [cleared] the fields to empty on success
     */
    act(call, done, cleared) {
      this.setData({ busy: true, error: '', notice: '' });
      return call()
        .then((/** @type {any} */ issue) => {
          this.show(issue);
          this.setData({ busy: false, notice: done, ...(cleared || {}) });
          if (cleared && 'photoIds' in cleared) {
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
    /** @param {string} problem @returns {Promise<void>} shows a problem with the form */
    refuse(problem) {
      this.setData({ error: problem, notice: '' });
      return Promise.resolve();
    },
    /** @param {string} missing the message when there is no note @returns {string} a problem, or '' */
    noteProblem(missing) {
      if (!this.data.note.trim()) return missing;
      if (this.data.photosBusy) return '照片还在上传，请稍等。';
      if (this.data.photosFailed) return '有照片没有传上去，请点照片重试或删掉。';
      return '';
    },
    checkIn() {
      return this.act(() => issues.checkIn(this.data.id), '已报到，请按期限办理。');
    },
    progress() {
      const problem = this.noteProblem('请先写进展说明：做了什么、下一步怎么办。');
      if (problem) return this.refuse(problem);
      const note = this.data.note.trim();
      return this.act(() => issues.progress(this.data.id, note, this.data.photoIds), '进展已记录，社区和居民都能看到。', { note: '', photoIds: [] });
    },
    resolve() {
      const problem = this.noteProblem('请先写办理结果。');
      if (problem) return this.refuse(problem);
      const note = this.data.note.trim();
      return this.act(() => issues.resolveForUnit(this.data.id, note, this.data.photoIds), '已办结，等待居民评价。', { note: '', photoIds: [] });
    },
    requestExtension() {
      const days = Number(String(this.data.days).trim());
      if (!Number.isInteger(days) || days < 1) return this.refuse('请填写要延期的天数（整数，至少 1 天）。');
      const reason = this.data.extensionReason.trim();
      if (!reason) return this.refuse('请写明延期原因。');
      return this.act(() => issues.requestExtension(this.data.id, days, reason), `已申请延期 ${days} 天，等待社区审批。`, { days: '', extensionReason: '' });
    },
    returnToCommunity() {
      const reason = this.data.returnReason.trim();
      if (!reason) return this.refuse('退回请写明原因：为什么不属于本单位办理。');
      return this.act(() => issues.returnToCommunity(this.data.id, reason), '已退回社区，社区会另行安排。', { returnReason: '' });
    },
  },
});
