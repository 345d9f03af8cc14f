/**
 * 诉求处置（社区）(staff/issue/issue?id=): the item and the staff's actions from `actions`:
 * assign stewards and/or change the tier (派单 / 调整紧急程度), whistle to a handling unit with
 * a tier picked explicitly (吹哨: no tier is preselected, the form refuses until one is), urge
 * the unit holding it (催办), escalate, cancel with a reason, publish or keep private a held
 * item, leave a message. Stewards come from GET /areas, units from GET /units.
 */
const api = require('../../utils/api');
const areas = require('../../services/areas');
const issues = require('../../services/issues');
const units = require('../../services/units');
const fmt = require('../../utils/format');
const { issueView } = require('../../utils/items');
const textsize = require('../../behaviors/textsize');

/** The 2310 tiers a whistle must choose from (DEADLINE_DAYS: 2 / 3 / 10 days by default). */
const TIERS = [
  { value: 'ordinary', word: '一般', label: '一般（2 天内办结）' },
  { value: 'important', word: '重要', label: '重要（3 天内处理完毕）' },
  { value: 'major', word: '重大', label: '重大（10 天内，联合处置）' },
];

/** @param {any[]} nodes @param {number} id @returns {any} the area node with that id */
function findArea(nodes, id) {
  for (const n of nodes || []) {
    if (n.id === id) return n;
    const found = findArea(n.children, id);
    if (found) return found;
  }
  return null;
}

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    id: 0,
    issue: /** @type {any} */ (null),
    actions: /** @type {Record<string, boolean>} */ ({}),
    held: false,
    stewards: /** @type {any[]} */ ([]),
    picked: /** @type {Record<string, boolean>} */ ({}),
    priorities: fmt.PRIORITIES,
    priority: '',
    units: /** @type {any[]} */ ([]),
    unitId: 0,
    tiers: TIERS,
    tier: '', // chosen by the staff member for each whistle, never defaulted
    note: '',
    error: '',
    notice: '',
    busy: false,
    /** the folded sections opened (吹哨报到, 督办) */
    open: /** @type {Record<string, boolean>} */ ({}),
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
      return Promise.all([issues.get(this.data.id), areas.tree(), units.list()])
        .then(([issue, tree, handling]) => {
          const alley = findArea(tree.items, issue.alley.id);
          this.setData({
            stewards: ((alley && alley.stewards) || []).filter((/** @type {any} */ s) => s.active),
            units: handling.items,
          });
          this.show(issue);
        })
        .catch((err) => this.setData({ state: this.data.issue ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @param {any} issue */
    show(issue) {
      /** @type {Record<string, boolean>} */
      const actions = {};
      (issue.actions || []).forEach((/** @type {string} */ a) => (actions[a] = true));
      /** @type {Record<string, boolean>} */
      const picked = {};
      (issue.stewards || []).forEach((/** @type {any} */ s) => (picked[s.id] = true));
      this.setData({ state: 'ready', issue: issueView(issue), actions, picked, priority: issue.priority, held: issue.visibility === 'held' });
    },
    /** Open or fold a secondary section. @param {any} e */
    onFold(e) {
      const key = e.currentTarget.dataset.key;
      this.setData({ [`open.${key}`]: !this.data.open[key] });
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    /** @param {any} e */
    onPick(e) {
      const id = e.currentTarget.dataset.id;
      this.setData({ [`picked.${id}`]: !this.data.picked[id] });
    },
    /** @param {any} e */
    onPriority(e) {
      this.setData({ priority: e.currentTarget.dataset.value });
    },
    /** @param {any} e */
    onUnit(e) {
      this.setData({ unitId: Number(e.currentTarget.dataset.id) });
    },
    /** @param {any} e */
    onTier(e) {
      this.setData({ tier: e.currentTarget.dataset.value });
    },
    /**
     * @param {() => Promise<any>} call the step (services/issues), answering the issue
     * @param {string | ((issue: any) => string)} done what to tell, or how from the answer
     * @param {Record<string, any>} [cleared] more fields to empty on success
     */
    act(call, done, cleared) {
      this.setData({ busy: true, error: '', notice: '' });
      return call()
        .then((/** @type {any} */ issue) => {
          this.show(issue);
          const notice = typeof done === 'function' ? done(this.data.issue) : done;
          this.setData({ busy: false, notice, note: '', ...(cleared || {}) });
        })
        .catch((err) => {
          this.setData({ busy: false, error: api.messageOf(err) });
          if (err && err.status === 409) return this.load();
          return undefined;
        });
    },
    assign() {
      const ids = Object.keys(this.data.picked).filter((k) => this.data.picked[k]).map(Number);
      if (!ids.length) {
        this.setData({ error: '请至少选择一位管家。' });
        return Promise.resolve();
      }
      const how = { stewardIds: ids, priority: this.data.priority, note: this.data.note.trim() };
      return this.act(() => issues.assign(this.data.id, how), '已派单。');
    },
    whistle() {
      const unit = this.data.units.find((/** @type {any} */ u) => u.id === this.data.unitId);
      const tier = TIERS.find((t) => t.value === this.data.tier);
      if (!unit) {
        this.setData({ error: '请选择承办单位。' });
        return Promise.resolve();
      }
      if (!tier) {
        this.setData({ error: '请选择紧急程度：一般、重要或重大。' });
        return Promise.resolve();
      }
      if (!this.data.note.trim()) {
        this.setData({ error: '请写明需要单位做什么。' });
        return Promise.resolve();
      }
      const how = { unitId: unit.id, tier: tier.value, note: this.data.note.trim() };
      const told = (/** @type {any} */ shown) => `已吹哨给${unit.name}（${tier.word}），办理期限 ${shown.deadlineText}。`;
      // a later whistle (after a 退回) is chosen afresh
      return this.act(() => issues.whistle(this.data.id, how), told, { unitId: 0, tier: '' });
    },
    urge() {
      if (!this.data.note.trim()) {
        this.setData({ error: '请写明催办内容。' });
        return Promise.resolve();
      }
      return this.act(() => issues.urge(this.data.id, this.data.note.trim()), '已催办，单位会收到提醒。');
    },
    supervise() {
      // 督办 is public to the street's leaders: asked once more, as the console does
      return new Promise((resolve) => {
        wx.showModal({
          title: '提请街道督办',
          content: '单位迟迟不报到或超期未办结时，提请街道领导督办。确定吗？',
          success: (res) => {
            if (!res.confirm) return resolve();
            const note = this.data.note.trim();
            resolve(this.act(() => issues.supervise(this.data.id, note), '已提请街道督办，街道领导会收到消息。'));
          },
          fail: () => resolve(),
        });
      });
    },
    escalate() {
      if (!this.data.note.trim()) {
        this.setData({ error: '请写明上报原因。' });
        return Promise.resolve();
      }
      return this.act(() => issues.escalate(this.data.id, this.data.note.trim()), '已上报。');
    },
    cancel() {
      if (!this.data.note.trim()) {
        this.setData({ error: '撤销请写明原因。' });
        return Promise.resolve();
      }
      return this.act(() => issues.cancel(this.data.id, this.data.note.trim()), '已撤销。');
    },
    comment() {
      if (!this.data.note.trim()) {
        this.setData({ error: '请先写留言内容。' });
        return Promise.resolve();
      }
      return this.act(() => issues.comment(this.data.id, this.data.note.trim()), '留言已记录。');
    },
    publish() {
      return this.act(() => issues.publish(this.data.id), '已公开到公示牌。');
    },
    keepPrivate() {
      return this.act(() => issues.keepPrivate(this.data.id, this.data.note.trim()), '已设为不公开。');
    },
  },
});
