/**
 * 本单位待办 (unit/todo/todo): for a member of a handling unit (a department or property
 * company), the open items whistled to their unit(s): overdue first, then by deadline, each
 * with its state (待报到 until someone of the unit checks in, then 已报到), tier and deadline.
 * Pull down to refresh; tapping one opens unit/issue/issue.
 */
const issues = require('../../services/issues');
const units = require('../../services/units');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

/** @param {any} a @param {any} b overdue first, then the nearest deadline */
function byUrgency(a, b) {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1;
  return String(a.deadline).localeCompare(String(b.deadline));
}

Component({
  behaviors: [loadable, textsize],
  data: { items: /** @type {any[]} */ ([]), unitNames: '', overdue: 0, waiting: 0 },
  methods: {
    onLoad() {
      return this.load();
    },
    onShow() {
      // back from an item: what was done there shows here
      return this.data.state === 'ready' ? this.load() : Promise.resolve();
    },
    load() {
      const fetch = () =>
        Promise.all([units.list(), issues.ofMyUnit()]).then(([mine, out]) => {
          const items = out.items
            .map((/** @type {any} */ i) => {
              const waiting = (i.actions || []).includes('check-in');
              return { ...i, waiting, stateText: waiting ? '待报到' : '已报到', deadlineText: fmt.dateTime(i.deadline) };
            })
            .sort(byUrgency);
          return {
            items,
            unitNames: mine.items.map((/** @type {any} */ u) => `${u.name}（${u.kind_label}）`).join('、'),
            overdue: items.filter((/** @type {any} */ i) => i.overdue).length,
            waiting: items.filter((/** @type {any} */ i) => i.waiting).length,
          };
        });
      return this.loadWith(fetch);
    },
    /** @param {any} e */
    onOpen(e) {
      wx.navigateTo({ url: `/unit/issue/issue?id=${e.currentTarget.dataset.id}` });
    },
  },
});
