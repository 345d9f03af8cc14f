/**
 * 兑换超市 (points/shop/shop?community=ID): the community's goods and services for points
 * (GET /shop/items), by class; 兑换 asks for confirmation, then POST /shop/items/{id}/redeem
 * takes the stock and the points in one step (409 out_of_stock / insufficient_points say why).
 */
const api = require('../../utils/api');
const points = require('../../services/points');
const shop = require('../../services/shop');
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
          const items = shelf.items.map((/** @type {any} */ i) => ({ ...i, soldOut: i.stock <= 0 }));
          this.setData({ state: 'ready', items, categories: shelf.categories, balance: book ? book.balance : 0, hasBook: !!book });
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
