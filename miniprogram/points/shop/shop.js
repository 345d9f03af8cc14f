/**
 * 兑换超市 (points/shop/shop?community=ID): the community's goods and services for points
 * (GET /shop/items), by class; 兑换 asks for confirmation, then POST /shop/items/{id}/redeem
 * takes the stock and the points in one step (409 out_of_stock / insufficient_points say why).
 * 兑换 is offered only for what the passbook can pay: an item it cannot shows 还差 N 分, and
 * without a passbook in this community each item offers to open one.
 */
const api = require('../../utils/api');
const points = require('../../services/points');
const shop = require('../../services/shop');
const { confirm } = require('../../utils/confirm');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    community: 0,
    items: /** @type {any[]} */ ([]),
    shown: /** @type {any[]} */ ([]),
    categories: /** @type {string[]} */ ([]),
    category: '',
    balance: /** @type {number|null} */ (null),
    hasBook: false,
    error: '',
    notice: '',
    busy: false,
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.load();
    },
    /** @param {any} options */
    onLoad(options) {
      const community = Number((options && options.community) || 0);
      if (!community) {
        this.setData({ state: 'error', error: '请从“我的积分”进入兑换超市。' });
        return Promise.resolve();
      }
      this.setData({ community });
      return this.load();
    },
    load() {
      const community = this.data.community;
      return Promise.all([shop.items(community), points.balances()])
        .then(([/** @type {any} */ shelf, /** @type {any} */ mine]) => {
          const book = mine.items.find((/** @type {any} */ b) => b.community_id === community && b.holder.kind === 'user');
          const balance = book ? book.balance : 0;
          const items = shelf.items.map((/** @type {any} */ i) => ({
            ...i,
            soldOut: i.stock <= 0,
            // Points still missing (0 when the passbook can pay; none without a passbook).
            short: book ? Math.max(0, i.price - balance) : 0,
          }));
          this.setData({ state: 'ready', items, categories: shelf.categories, balance, hasBook: !!book });
          this.filter();
        })
        .catch((err) => this.setData({ state: 'error', error: api.messageOf(err) }));
    },
    filter() {
      const c = this.data.category;
      this.setData({ shown: this.data.items.filter((/** @type {any} */ i) => !c || i.category === c) });
    },
    /** @param {any} e */
    onCategory(e) {
      const c = e.currentTarget.dataset.category || '';
      this.setData({ category: c === this.data.category ? '' : c });
      this.filter();
    },
    /** An item's 开通存折后兑换: say what a passbook is, then open one. */
    offerBook() {
      return confirm({
        title: '先开通存折',
        content: '兑换要用时间银行存折里的积分。开通存折后，参加志愿服务、办好事就能攒积分。现在开通吗？',
        confirmText: '开通',
      }).then((yes) => (yes ? this.openBook() : undefined));
    },
    openBook() {
      this.setData({ busy: true, error: '' });
      return points
        .openPassbook(this.data.community)
        .then(() => {
          this.setData({ busy: false, hasBook: true });
          wx.navigateTo({ url: '/points/passbook/passbook' });
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
    /** @param {any} e */
    redeem(e) {
      const id = Number(e.currentTarget.dataset.id);
      const item = this.data.items.find((/** @type {any} */ i) => i.id === id);
      if (!item) return Promise.resolve();
      if (!this.data.hasBook) return this.offerBook();
      if (item.short > 0) {
        this.setData({ error: `积分不够：兑换“${item.name}”还差 ${item.short} 分。` });
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        wx.showModal({
          title: '确认兑换',
          content: `用 ${item.price} 积分兑换“${item.name}”？`,
          confirmText: '兑换',
          success: (res) => {
            if (!res.confirm) return resolve(null);
            this.setData({ busy: true, error: '', notice: '' });
            return resolve(
              shop
                .redeem(id)
                .then((/** @type {any} */ out) => {
                  this.setData({ busy: false, notice: `兑换成功：“${out.item_name}”，扣 ${out.price} 分，存折余额 ${out.balance} 分。请到社区兑换点领取。` });
                  return this.load();
                })
                .catch((err) => this.setData({ busy: false, error: api.messageOf(err) })),
            );
          },
        });
      });
    },
  },
});
