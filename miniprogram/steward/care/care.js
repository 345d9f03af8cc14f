/**
 * 关怀提醒 (steward/care/care): my households on the newest care alerts (GET
 * /api/v1/care-alerts/mine), each with a call button and the three answers — 已联系, 已上门,
 * 需帮助 (which needs a few words and goes to the community as an item). The same answers as
 * the private chat's `已联系 N` …; pull down to refresh.
 */
const api = require('../../utils/api');
const care = require('../../services/care');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

const WORDS = { contacted: '已联系', visited: '已上门', needs_help: '需帮助' };

Component({
  behaviors: [loadable, textsize],
  data: {
    alerts: /** @type {any[]} */ ([]),
    notes: /** @type {Record<string, string>} */ ({}),
    busy: false,
    notice: '',
  },
  methods: {
    onLoad() {
      return this.load();
    },
    load() {
      const fetch = () =>
        care.mine().then((/** @type {any} */ out) => ({
          alerts: out.items.map((/** @type {any} */ a) => ({
            ...a,
            when: fmt.dateTime(a.created_at),
            households: a.households.map((/** @type {any} */ h) => ({
              ...h,
              key: `${a.id}-${h.seq}`,
              phoneText: fmt.groupPhone(h.head_phone),
              tagText: h.tags.join('、'),
              waiting: h.status === 'pending',
            })),
          })),
        }));
      return this.loadWith(fetch, { keepMessage: true });
    },
    /** @param {any} e */
    onCall(e) {
      const phone = e.currentTarget.dataset.phone;
      if (phone) wx.makePhoneCall({ phoneNumber: String(phone) });
    },
    /** @param {any} e */
    onNote(e) {
      this.setData({ [`notes.${e.currentTarget.dataset.key}`]: e.detail.value });
    },
    /** @param {any} e */
    onAnswer(e) {
      const { alert, seq, result } = e.currentTarget.dataset;
      const key = `${alert}-${seq}`;
      const note = (this.data.notes[key] || '').trim();
      if (result === 'needs_help' && !note) {
        this.setData({ error: '请写明需要什么帮助。', notice: '' });
        return Promise.resolve();
      }
      this.setData({ busy: true, error: '', notice: '' });
      return care
        .answer(Number(alert), Number(seq), result, note)
        .then((/** @type {any} */ out) => {
          const h = out.household;
          const handed = h.issue_id && result === 'needs_help' ? `，已转社区处理（诉求 #${h.issue_id}）` : '';
          this.setData({
            busy: false,
            notice: `第 ${seq} 户已记录：${WORDS[/** @type {'contacted'} */ (result)]}${handed}（已回复 ${out.answered}/${out.total} 户）`,
            [`notes.${key}`]: '',
          });
          return this.load();
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
  },
});
