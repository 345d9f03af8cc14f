/**
 * 诉求处置（社区）(staff/issue/issue?id=): the item and the staff's actions from `actions`:
 * assign stewards and/or change the tier (派单 / 调整紧急程度), whistle to a handling unit with
 * a tier picked explicitly (吹哨: no tier is preselected, the form refuses until one is), urge
 * the unit holding it (催办), escalate, cancel with a reason, publish or keep private a held
 * item, leave a message. Stewards come from GET /areas, units from GET /units.
 */
const areas = require('../../services/areas');
const issues = require('../../services/issues');
const units = require('../../services/units');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');
const itemWork = require('../../behaviors/item-work');

/** What a step sent empties: the note. */
const SENT = { note: '' };

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
  behaviors: [textsize, itemWork],
  data: {
    held: false,
    stewards: /** @type {any[]} */ ([]),
    picked: /** @type {Record<string, boolean>} */ ({}),
    priorities: fmt.PRIORITIES,
    priority: '',
    units: /** @type {any[]} */ ([]),
    unitId: 0,
    tiers: TIERS,
    tier: '', // chosen by the staff member for each whistle, never defaulted
    /** the folded sections opened (吹哨报到, 督办) */
    open: /** @type {Record<string, boolean>} */ ({}),
  },
  methods: {
    /** The item, with the alley's stewards and the handling units set aside (behaviors/item-work). */
    fetchItem() {
      return Promise.all([issues.get(this.data.id), areas.tree(), units.list()]).then(([issue, tree, handling]) => {
        const alley = findArea(tree.items, issue.alley.id);
        this.setData({
          stewards: ((alley && alley.stewards) || []).filter((/** @type {any} */ s) => s.active),
          units: handling.items,
        });
        return issue;
      });
    },
    /** Called by behaviors/item-work after each item shown. @param {Record<string, boolean>} _actions @param {any} issue */
    afterShow(_actions, issue) {
      /** @type {Record<string, boolean>} */
      const picked = {};
      (issue.stewards || []).forEach((/** @type {any} */ s) => (picked[s.id] = true));
      this.setData({ picked, priority: issue.priority, held: issue.visibility === 'held' });
    },
    /** Open or fold a secondary section. @param {any} e */
    onFold(e) {
      const key = e.currentTarget.dataset.key;
      this.setData({ [`open.${key}`]: !this.data.open[key] });
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
    assign() {
      const ids = Object.keys(this.data.picked).filter((k) => this.data.picked[k]).map(Number);
      if (!ids.length) return this.refuse('请至少选择一位管家。');
      const how = { stewardIds: ids, priority: this.data.priority, note: this.data.note.trim() };
      return this.act(() => issues.assign(this.data.id, how), '已派单。', SENT);
    },
    whistle() {
      const unit = this.data.units.find((/** @type {any} */ u) => u.id === this.data.unitId);
      const tier = TIERS.find((t) => t.value === this.data.tier);
      if (!unit) return this.refuse('请选择承办单位。');
      if (!tier) return this.refuse('请选择紧急程度：一般、重要或重大。');
      if (!this.data.note.trim()) return this.refuse('请写明需要单位做什么。');
      const how = { unitId: unit.id, tier: tier.value, note: this.data.note.trim() };
      const told = (/** @type {any} */ shown) => `已吹哨给${unit.name}（${tier.word}），办理期限 ${shown.deadlineText}。`;
      // a later whistle (after a 退回) is chosen afresh
      return this.act(() => issues.whistle(this.data.id, how), told, { note: '', unitId: 0, tier: '' });
    },
    urge() {
      if (!this.data.note.trim()) return this.refuse('请写明催办内容。');
      return this.act(() => issues.urge(this.data.id, this.data.note.trim()), '已催办，单位会收到提醒。', SENT);
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
            resolve(this.act(() => issues.supervise(this.data.id, note), '已提请街道督办，街道领导会收到消息。', SENT));
          },
          fail: () => resolve(),
        });
      });
    },
    escalate() {
      if (!this.data.note.trim()) return this.refuse('请写明上报原因。');
      return this.act(() => issues.escalate(this.data.id, this.data.note.trim()), '已上报。', SENT);
    },
    cancel() {
      if (!this.data.note.trim()) return this.refuse('撤销请写明原因。');
      return this.act(() => issues.cancel(this.data.id, this.data.note.trim()), '已撤销。', SENT);
    },
    comment() {
      if (!this.data.note.trim()) return this.refuse('请先写留言内容。');
      return this.act(() => issues.comment(this.data.id, this.data.note.trim()), '留言已记录。', SENT);
    },
    publish() {
      return this.act(() => issues.publish(this.data.id), '已公开到公示牌。', SENT);
    },
    keepPrivate() {
      return this.act(() => issues.keepPrivate(this.data.id, this.data.note.trim()), '已设为不公开。', SENT);
    },
  },
});
