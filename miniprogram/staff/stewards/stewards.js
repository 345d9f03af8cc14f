/**
 * 管家与绑定码 (staff/stewards/stewards): the stewards of my area (GET /areas); for each a
 * one-time bind code (POST /bind-codes) shown large and copyable, and 离任 (dismiss, with a
 * reason; POST /stewards/{id}/dismiss) which says how many open issues need reassigning.
 * Also a bind code for a colleague's staff account by username.
 */
const api = require('../../utils/api');
const areas = require('../../services/areas');
const stewards = require('../../services/stewards');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

/** @param {any[]} nodes @param {any[]} out @param {string} path */
function collect(nodes, out, path) {
  for (const n of nodes || []) {
    const label = path ? `${path} / ${n.name}` : n.name;
    for (const s of n.stewards || []) {
      const known = out.find((x) => x.id === s.id);
      if (known) known.alleys.push(n.name);
      else out.push({ ...s, alleys: [n.name], phoneText: fmt.groupPhone(s.phone) });
    }
    collect(n.children, out, label);
  }
  return out;
}

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    stewards: /** @type {any[]} */ ([]),
    codes: /** @type {Record<string, any>} */ ({}),
    reasons: /** @type {Record<string, string>} */ ({}),
    /** the stewards whose 离任 reason and button are shown */
    leaving: /** @type {Record<string, boolean>} */ ({}),
    username: '',
    staffCode: /** @type {any} */ (null),
    error: '',
    notice: '',
    busy: false,
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.load();
    },
    onLoad() {
      return this.load();
    },
    load() {
      return areas
        .tree()
        .then((/** @type {any} */ tree) =>
          this.setData({ state: 'ready', stewards: collect(tree.items, [], '').map((s) => ({ ...s, alleysText: s.alleys.join('、') })) }),
        )
        .catch((err) => this.setData({ state: this.data.state === 'ready' ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @param {any} e */
    issueCode(e) {
      const id = Number(e.currentTarget.dataset.id);
      this.setData({ busy: true, error: '', notice: '' });
      return stewards
        .bindCode(id)
        .then((/** @type {any} */ out) =>
          this.setData({ busy: false, [`codes.${id}`]: { code: out.code, expires: fmt.dateTime(out.expires_at) } }),
        )
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
    /** @param {any} e */
    copy(e) {
      wx.setClipboardData({ data: String(e.currentTarget.dataset.code) });
    },
    /** 办理离任…: show that steward's reason box and 离任 button. @param {any} e */
    onLeaving(e) {
      this.setData({ [`leaving.${e.currentTarget.dataset.id}`]: true });
    },
    /** @param {any} e */
    onReason(e) {
      this.setData({ [`reasons.${e.currentTarget.dataset.id}`]: e.detail.value });
    },
    /** @param {any} e */
    dismiss(e) {
      const id = Number(e.currentTarget.dataset.id);
      const reason = (this.data.reasons[id] || '').trim();
      if (!reason) {
        this.setData({ error: '离任请写明原因。' });
        return Promise.resolve();
      }
      this.setData({ busy: true, error: '', notice: '' });
      return stewards
        .dismiss(id, reason)
        .then((/** @type {any} */ out) => {
          const rest = out.open_issues ? `还有 ${out.open_issues} 件未办结的诉求需要改派。` : '没有需要改派的诉求。';
          this.setData({ busy: false, notice: `${out.name} 已离任，权限已停止，公示牌待重印。${rest}` });
          return this.load();
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
    /** @param {any} e */
    onUsername(e) {
      this.setData({ username: e.detail.value });
    },
    issueStaffCode() {
      const username = this.data.username.trim();
      if (!username) {
        this.setData({ error: '请输入同事的管理后台用户名。' });
        return Promise.resolve();
      }
      this.setData({ busy: true, error: '' });
      return stewards
        .staffBindCode(username)
        .then((/** @type {any} */ out) => this.setData({ busy: false, staffCode: { code: out.code, expires: fmt.dateTime(out.expires_at) } }))
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
  },
});
