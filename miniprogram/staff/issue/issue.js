/**
 * 诉求处置（社区）(staff/issue/issue?id=): the item and the staff's actions from `actions`:
 * assign stewards and/or change the tier (派单 / 调整紧急程度), whistle to a department of the
 * street (吹哨), escalate, cancel with a reason, publish or keep private a held item, leave a
 * message. Stewards come from GET /areas, departments from GET /departments.
 */
const api = require('../../utils/api');
const areas = require('../../services/areas');
const departments = require('../../services/departments');
const issues = require('../../services/issues');
const fmt = require('../../utils/format');
const { issueView } = require('../../utils/items');

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
    departments: /** @type {any[]} */ ([]),
    departmentId: 0,
    note: '',
    error: '',
    notice: '',
    busy: false,
  },
  methods: {
    /** @param {{id?: string}} options */
    onLoad(options) {
      this.setData({ id: Number(options.id) });
      return this.load();
    },
    load() {
      if (!this.data.issue) this.setData({ state: 'loading' });
      return Promise.all([issues.get(this.data.id), areas.tree(), departments.list()])
        .then(([issue, tree, deps]) => {
          const alley = findArea(tree.items, issue.alley.id);
          this.setData({
            stewards: ((alley && alley.stewards) || []).filter((/** @type {any} */ s) => s.active),
            departments: deps.items,
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
    onDepartment(e) {
      this.setData({ departmentId: Number(e.currentTarget.dataset.id) });
    },
    /**
     * @param {() => Promise<any>} call the step (services/issues), answering the issue
     * @param {string} done
     */
    act(call, done) {
      this.setData({ busy: true, error: '', notice: '' });
      return call()
        .then((/** @type {any} */ issue) => {
          this.show(issue);
          this.setData({ busy: false, notice: done, note: '' });
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
      if (!this.data.departmentId) {
        this.setData({ error: '请选择要吹哨的部门。' });
        return Promise.resolve();
      }
      if (!this.data.note.trim()) {
        this.setData({ error: '请写明需要部门做什么。' });
        return Promise.resolve();
      }
      return this.act(() => issues.whistle(this.data.id, this.data.departmentId, this.data.note.trim()), '已吹哨，部门联合处置，期限 10 天。');
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
