/**
 * 回访 (staff/callbacks/callbacks): the closed items of my area waiting for a callback, oldest
 * first, with the resident's phone (tap to call); pick the result, add a note, 记录. After a
 * 不满意 the page offers to reopen the item with the note as the reason. On top: this month's
 * progress against the street's sample rule.
 */
const api = require('../../utils/api');
const callbacks = require('../../services/callbacks');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

/** The results staff pick from, in the order the API documents them. */
const RESULTS = [
  { key: 'satisfied', label: '满意' },
  { key: 'basically_satisfied', label: '基本满意' },
  { key: 'unsatisfied', label: '不满意' },
  { key: 'unreached', label: '未接通' },
  { key: 'refused', label: '拒绝回访' },
];

Component({
  behaviors: [loadable, textsize],
  data: {
    items: /** @type {any[]} */ ([]),
    progress: /** @type {any[]} */ ([]),
    labels: RESULTS.map((r) => r.label),
    chosen: /** @type {Record<string, number>} */ ({}),
    picked: /** @type {Record<string, string>} */ ({}),
    notes: /** @type {Record<string, string>} */ ({}),
    unsatisfied: /** @type {any} */ (null),
    notice: '',
    busy: false,
  },
  methods: {
    onLoad() {
      return this.load();
    },
    load() {
      const fetch = () =>
        callbacks.waiting().then((/** @type {any} */ out) => ({
          items: out.items.map((/** @type {any} */ i) => ({ ...i, resolvedText: fmt.dateTime(i.resolved_at) })),
          progress: out.progress,
        }));
      return this.loadWith(fetch, { keepMessage: true });
    },
    /** @param {any} e */
    onPick(e) {
      const id = e.currentTarget.dataset.id;
      const index = Number(e.detail.value);
      this.setData({ [`chosen.${id}`]: index, [`picked.${id}`]: RESULTS[index].label });
    },
    /** @param {any} e */
    onNote(e) {
      this.setData({ [`notes.${e.currentTarget.dataset.id}`]: e.detail.value });
    },
    /** @param {any} e */
    onCall(e) {
      wx.makePhoneCall({ phoneNumber: String(e.currentTarget.dataset.phone) });
    },
    /** @param {any} e */
    record(e) {
      const id = e.currentTarget.dataset.id;
      const picked = this.data.chosen[id];
      if (picked === undefined) {
        this.setData({ error: '请先选择回访结果', notice: '' });
        return Promise.resolve();
      }
      const result = RESULTS[picked];
      const note = (this.data.notes[id] || '').trim();
      const item = this.data.items.find((i) => i.id === id) || {};
      this.setData({ busy: true, error: '', notice: '' });
      return callbacks
        .record(id, result.key, note)
        .then(() => {
          this.setData({
            busy: false,
            notice: `已记录回访：${result.label}`,
            unsatisfied: result.key === 'unsatisfied' ? { id, number: item.number, note } : null,
          });
          return this.load();
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
    reopen() {
      const u = this.data.unsatisfied;
      if (!u) return Promise.resolve();
      this.setData({ busy: true, error: '', notice: '' });
      return callbacks
        .reopen(u.id, u.note || '居民表示问题未解决')
        .then(() => this.setData({ busy: false, unsatisfied: null, notice: `已重新打开 ${u.number}，管家将收到通知` }))
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
  },
});
