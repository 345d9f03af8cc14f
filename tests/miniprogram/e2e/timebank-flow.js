/**
 * e2e, against the real Flask app: a resident opens the board's 积分兑换超市 and a passbook
 * (开通存折), staff add points for blood donation, then redeem at the counter by the member
 * code (the last points: a second tap is refused in Chinese), and the resident's 我的积分
 * shows the award and the redemption.
 */
const h = require('../harness');
const real = require('./real');
const api = require('../../../miniprogram/utils/api');

real.use();
const boards = real.boards();

test('time bank: open a passbook → staff add points → counter redemption → passbook', async () => {
  real.as('dev:居民积分');
  const board = h.page('pages/board/board');
  await board.inst.onLoad({ code: boards['南门巷'] });
  await h.idle();
  expect(board.text()).toContain('槐树社区积分兑换超市');
  board.inst.onShop();
  const shopUrl = h.callsOf('navigateTo').pop().url;
  const community = shopUrl.split('community=')[1];

  const shop = h.page('points/shop/shop');
  await shop.inst.onLoad({ community });
  await h.idle();
  expect(shop.text()).toContain('毛巾');
  expect(shop.text()).toContain('金融服务');
  await shop.inst.openBook();
  await h.idle();
  const book = h.page('points/passbook/passbook');
  await book.inst.onLoad();
  await h.idle();
  const code = book.data().books[0].code;
  expect(book.text()).toContain(`会员码 ${code}`);
  await book.inst.showCode({ currentTarget: { dataset: { id: book.data().books[0].id } } });
  await h.idle();
  expect(book.data().qr.png.startsWith('data:image/png;base64,')).toBe(true);

  real.as('dev:huaishu');
  const added = await api.post('/points/adjustments', { member_code: code, rule: 'blood_donation', reason: '11 月无偿献血' });
  expect(added.balance).toBe(5);
  const counter = h.page('staff/counter/counter');
  counter.inst.onCode({ detail: { value: code.toLowerCase() } });
  await counter.inst.lookup();
  await h.idle();
  expect(counter.text()).toContain('存折余额 5 分');
  const towel = counter.data().items.find((/** @type {any} */ i) => i.name === '毛巾');
  await counter.inst.redeem({ currentTarget: { dataset: { id: towel.id } } });
  await h.idle();
  expect(counter.text()).toContain('已兑换“毛巾”，扣 5 分，余额 0 分');
  await expect(api.post(`/shop/items/${towel.id}/redeem`, { member_code: code })).rejects.toMatchObject({ code: 'insufficient_points' });

  real.as('dev:居民积分');
  const again = h.page('points/passbook/passbook');
  await again.inst.onLoad();
  await h.idle();
  expect(again.text()).toContain('积分兑换 · 兑换“毛巾”');
  expect(again.text()).toContain('无偿献血 · 11 月无偿献血');
  expect(again.data().books[0].balance).toBe(0);
});
