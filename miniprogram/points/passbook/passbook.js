/**
 * 我的积分 (points/passbook/passbook): my time bank passbooks (GET /points/me) — per community
 * the balance, the member code and the entries, newest first; 出示会员码 shows the code as a
 * large QR (GET /points/me/member-code, a PNG data URL) for the counter to scan; 兑换超市 opens
 * that community's shop.
 */
const api = require('../../utils/api');
const points = require('../../services/points');
const fmt = require('../../utils/format');

/** @param {any} e */
function entryLine(e) {
  return {
    id: e.id,
    pointsText: e.points > 0 ? `+${e.points}` : String(e.points),
    minus: e.points < 0,
    words: e.reason ? `${e.rule_label} · ${e.reason}` : e.rule_label,
    when: fmt.dateTime(e.created_at),
    reversed: e.reversed,
  };
}

Component({
  data: {
    state: 'loading',
    books: /** @type {any[]} */ ([]),
    total: 0,
    qr: /** @type {any} */ (null),
    error: '',
  },
  methods: {
    onLoad() {
      return this.load();
    },
    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },
    load() {
      return points
        .passbooks()
        .then((/** @type {any} */ out) =>
          this.setData({
            state: 'ready',
            error: '',
            total: out.total_balance,
            books: out.items.map((/** @type {any} */ b) => ({
              id: b.id,
              community: b.community_name,
              communityId: b.community_id,
              holder: b.holder.kind === 'steward' ? '管家存折' : '个人存折',
              code: b.member_code,
              balance: b.balance,
              entries: b.entries.items.map(entryLine),
              more: b.entries.total > b.entries.items.length,
            })),
          }),
        )
        .catch((err) => this.setData({ state: 'error', error: api.messageOf(err) }));
    },
    /** @param {any} e */
    showCode(e) {
      const id = Number(e.currentTarget.dataset.id);
      this.setData({ error: '' });
      return points
        .memberCode(id)
        .then((/** @type {any} */ out) =>
          this.setData({ qr: { id, code: out.member_code, png: out.qr_png, community: out.community_name } }),
        )
        .catch((err) => this.setData({ error: api.messageOf(err) }));
    },
    hideCode() {
      this.setData({ qr: null });
    },
    /** @param {any} e */
    openShop(e) {
      wx.navigateTo({ url: `/points/shop/shop?community=${e.currentTarget.dataset.community}` });
    },
  },
});
