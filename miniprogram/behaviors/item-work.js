/**
 * The working side of an item page (steward/issue: 管家办理, unit/issue: 单位办理, staff/issue:
 * 诉求处置): `behaviors: [textsize, itemWork]` gives the page
 *
 * - the item by its `?id=` (`onLoad` → `load()` → `fetchItem()`: issues.get, or the page's own
 *   `fetchItem` when it needs more with the item), shown with the buttons of its
 *   `actions` (`data.actions`: a set of the action names the server allows now). A failed first
 *   load is the full-page state (components/load-failed → onRetry); a failed reload keeps the
 *   item on screen with the message. After showing an item `show()` calls the page's own
 *   `afterShow(actions, issue)` if it has one (the steward's 常用回复, the staff's choices);
 * - the note-and-photos form: `data.note` (a textarea with `data-field="note"` →
 *   `onInput`, which sets any field named by `data-field`), `photoIds`, `photosBusy` and
 *   `photosFailed` from components/photo-picker with `id="photos"` (`bind:change="onPhotos"`),
 *   and `noteProblem(missing)`: what stops the form from being sent ('' when nothing);
 * - `act(call, done, cleared)`: one step sent (busy while it runs), the answered item shown with
 *   `done` as the notice and the `cleared` fields emptied (the photo picker too when `photoIds`
 *   is among them); a refusal shows the server's Chinese message and leaves what was typed, and
 *   a 409 (someone acted first, or the item moved on) reloads the item so the buttons match it;
 * - `refuse(problem)`: a problem with the form shown instead of sending.
 *
 * A Behavior rather than a component: the form's fields are the page's data, which its
 * buttons send together with the page's own fields (the outcome, the days of an extension).
 */
const api = require('../utils/api');
const issues = require('../services/issues');
const { issueView } = require('../utils/items');

module.exports = Behavior({
  data: {
    state: 'loading',
    id: 0,
    issue: /** @type {any} */ (null),
    actions: /** @type {Record<string, boolean>} */ ({}),
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
      return /** @type {any} */ (this)
        .fetchItem()
        .then((/** @type {any} */ issue) => this.show(issue))
        .catch((err) => this.setData({ state: this.data.issue ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @returns {Promise<any>} the item; a page that needs more with it fetches that here too */
    fetchItem() {
      return issues.get(this.data.id);
    },
    /** @param {any} issue */
    show(issue) {
      /** @type {Record<string, boolean>} */
      const actions = {};
      (issue.actions || []).forEach((/** @type {string} */ a) => (actions[a] = true));
      this.setData({ state: 'ready', issue: issueView(issue), actions });
      const page = /** @type {any} */ (this);
      if (page.afterShow) page.afterShow(actions, issue);
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    /** @param {string} missing the message when there is no note @returns {string} a problem, or '' */
    noteProblem(missing) {
      if (!this.data.note.trim()) return missing;
      if (this.data.photosBusy) return '照片还在上传，请稍等。';
      if (this.data.photosFailed) return '有照片没有传上去，请点照片重试或删掉。';
      return '';
    },
    /** @param {string} problem @returns {Promise<void>} shows a problem with the form */
    refuse(problem) {
      this.setData({ error: problem, notice: '' });
      return Promise.resolve();
    },
    /**
     * @param {() => Promise<any>} call the step (services/issues), answering the issue
     * @param {string | ((issue: any) => string)} done what to tell on success, or how from the item shown
     * @param {Record<string, any>} [cleared] the fields to empty on success
     * @returns {Promise<void>} never rejects
     */
    act(call, done, cleared) {
      this.setData({ busy: true, error: '', notice: '' });
      return call()
        .then((/** @type {any} */ issue) => {
          this.show(issue);
          const notice = typeof done === 'function' ? done(this.data.issue) : done;
          this.setData({ busy: false, notice, ...(cleared || {}) });
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
  },
});
