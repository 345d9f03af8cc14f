/**
 * 我的积分 (points/passbook/passbook): my time bank passbooks (GET /points/me) — per community
 * the balance, the member code and the entries, newest first; 出示会员码 shows the code as a
 * large QR (GET /points/me/member-code, a PNG data URL) for the counter to scan; 兑换超市 opens
 * that community's shop.
 */
const api = require('../../utils/api');
const points = require('../../services/points');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

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
  behaviors: [loadable, textsize],
  data: {
    books: /** @type {any[]} */ ([]),
    total: 0,
    qr: /** @type {any} */ (null),
  },
  methods: {
    onLoad() {
      return this.load();
    },
    load() {
      const fetch = () =>
        points.passbooks().then((/** @type {any} */ out) => ({
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
        }));
      return this.loadWith(fetch, { replaceOnError: true });
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
    /** No passbook yet: 首页 (the board scanned last, or 扫一扫) leads to the community's shop. */
    openBoard() {
      wx.switchTab({ url: '/pages/board/board' });
    },
    /** @param {any} e */
    openShop(e) {
      wx.navigateTo({ url: `/points/shop/shop?community=${e.currentTarget.dataset.community}` });
    },
  },
});
