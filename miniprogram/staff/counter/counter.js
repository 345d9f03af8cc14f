/**
 * 柜台兑换 (staff/counter/counter): staff scan or type a person's member code, see their
 * passbook (GET /points?person=) and the community's shelf (GET /shop/items), and redeem an
 * item for them after a confirmation (POST /shop/items/{id}/redeem with {member_code}).
 */
const api = require('../../utils/api');
const permission = require('../../utils/permission');
const points = require('../../services/points');
const shop = require('../../services/shop');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'empty',
    code: '',
    book: /** @type {any} */ (null),
    items: /** @type {any[]} */ ([]),
    error: '',
    notice: '',
    busy: false,
  },
  methods: {
    /** @param {any} e */
    onCode(e) {
      this.setData({ code: e.detail.value });
    },
    scan() {
      return new Promise((resolve) => {
        wx.scanCode({
          onlyFromCamera: true,
          scanType: ['qrCode'],
          success: (/** @type {any} */ res) => {
            if (!res.result) return resolve(null);
            this.setData({ code: res.result });
            return resolve(this.lookup());
          },
          fail: (/** @type {any} */ err) => {
            const why = permission.refusal(err);
            if (why === 'privacy') this.setData({ error: permission.PRIVACY_DECLINED });
            else if (why === 'denied') permission.offerSettings('相机');
            resolve(null);
          },
        });
      });
    },
    lookup() {
      const code = this.data.code.trim();
      if (!code) {
        this.setData({ error: '请扫描或输入会员码。' });
        return Promise.resolve();
      }
      this.setData({ state: 'loading', error: '', notice: '' });
      return points
        .ofMember(code)
        .then((/** @type {any} */ out) => {
          const book = out.items[0];
          return shop.items(book.community_id).then((/** @type {any} */ shelf) =>
            this.setData({
              state: 'found',
              book: { code: book.member_code, name: book.holder.name, community: book.community_name, balance: book.balance },
              items: shelf.items.map((/** @type {any} */ i) => ({ ...i, soldOut: i.stock <= 0, short: i.price > book.balance })),
            }),
          );
        })
        .catch((err) => this.setData({ state: 'empty', book: null, error: api.messageOf(err) }));
    },
    /** @param {any} e */
    redeem(e) {
      const id = Number(e.currentTarget.dataset.id);
      const item = this.data.items.find((/** @type {any} */ i) => i.id === id);
      const book = this.data.book;
      if (!item || !book) return Promise.resolve();
      return new Promise((resolve) => {
        wx.showModal({
          title: '确认兑换',
          content: `为${book.name}兑换“${item.name}”，扣 ${item.price} 分？`,
          confirmText: '兑换',
          success: (res) => {
            if (!res.confirm) return resolve(null);
            this.setData({ busy: true, error: '', notice: '' });
            return resolve(
              shop
                .redeem(id, book.code)
                .then((/** @type {any} */ out) => {
                  const notice = `已兑换“${out.item_name}”，扣 ${out.price} 分，余额 ${out.balance} 分。请把商品交给对方。`;
                  return this.lookup().then(() => this.setData({ busy: false, notice }));
                })
                .catch((err) => this.setData({ busy: false, error: api.messageOf(err) })),
            );
          },
        });
      });
    },
  },
});
