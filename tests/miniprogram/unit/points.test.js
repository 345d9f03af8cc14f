/** Time bank pages: 我的积分 (points/passbook), 兑换超市 (points/shop), 柜台兑换 (staff/counter) — loading, empty, error, success. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

const entry = (over = {}) => ({
  id: 1, points: 2, rule: 'issue_resolved', rule_label: '办结诉求', source_type: 'issue', source_label: '诉求',
  source_id: 7, reason: 'S2611220001 环境卫生', reverses: null, reversed: false, actor: '系统',
  created_at: '2026-11-22T09:00:00+08:00', redemption: null, ...over,
});
const book = (over = {}) => ({
  id: 5, community_id: 2, community_name: '槐树社区', member_code: 'K7M2Q9XW3D',
  holder: { kind: 'user', id: 1, name: '张大妈' }, balance: 12,
  entries: { items: [entry(), entry({ id: 2, points: -10, rule: 'redemption', rule_label: '积分兑换', reason: '兑换“毛巾”' })], total: 2, page: 1, per_page: 50 },
  ...over,
});
const mine = (books) => ({ status: 200, body: { items: books, total_balance: books.reduce((s, b) => s + b.balance, 0) } });
const item = (over = {}) => ({
  id: 3, community_id: 2, name: '毛巾', category: '日用百货', description: '纯棉', price: 10, stock: 4,
  active: true, photo_id: null, photo_url: null, updated_at: '2026-11-22T09:00:00+08:00', ...over,
});
const shelf = (items) => ({ status: 200, body: { items, total: items.length, page: 1, per_page: 100, categories: ['日用百货', '粮油副食', '健康生活', '家政便民', '文化教育', '金融服务'] } });

describe('points/passbook/passbook', () => {
  test('loading, then empty', async () => {
    server.route('GET', '/points/me', mine([]));
    const p = h.page('points/passbook/passbook');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('您还没有时间银行存折');
    // not a dead end: the way to a shop (and so to a passbook) is offered
    expect(p.text()).toContain('去首页，找社区的积分兑换超市');
    p.inst.openBoard();
    expect(h.callsOf('switchTab').pop().url).toBe('/pages/board/board');
  });
  test('error', async () => {
    server.route('GET', '/points/me', envelope(503, 'unavailable', '服务暂时不可用，请稍后再试'));
    const p = h.page('points/passbook/passbook');
    await p.inst.onLoad();
    expect(p.text()).toContain('服务暂时不可用');
  });
  test('success: balance, entries, the member code as a QR, the shop', async () => {
    server.route('GET', '/points/me', mine([book()]));
    server.route('GET', '/points/me/member-code', { status: 200, body: { member_code: 'K7M2Q9XW3D', community_name: '槐树社区', qr_png: 'data:image/png;base64,iVBORw0KGgo=' } });
    const p = h.page('points/passbook/passbook');
    await p.inst.onLoad();
    expect(p.text()).toContain('槐树社区');
    expect(p.text()).toContain('12 分');
    expect(p.text()).toContain('办结诉求 · S2611220001 环境卫生');
    expect(p.text()).toContain('+2');
    expect(p.text()).toContain('-10');
    expect(server.requests.find((r) => r.path === '/points/me').query).toContain('per_page=50');
    await p.inst.showCode({ currentTarget: { dataset: { id: 5 } } });
    expect(server.requests.find((r) => r.path === '/points/me/member-code').query).toBe('account_id=5');
    expect(p.comp.querySelector('.qr')).toBeTruthy(); // the <image> of the QR is drawn
    expect(p.data().qr.png).toBe('data:image/png;base64,iVBORw0KGgo=');
    expect(p.text()).toContain('请在社区兑换点出示');
    p.inst.openShop({ currentTarget: { dataset: { community: 2 } } });
    expect(h.callsOf('navigateTo').pop().url).toBe('/points/shop/shop?community=2');
  });
});

describe('points/shop/shop', () => {
  test('loading, empty, error without a community', async () => {
    server.route('GET', '/shop/items', shelf([])).route('GET', '/points/me', mine([]));
    const p = h.page('points/shop/shop');
    const done = p.inst.onLoad({ community: '2' });
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('这个社区的兑换超市还没有上架商品');
    expect(p.text()).toContain('开通存折'); // no passbook of my own there yet
    server.route('POST', '/points/me/passbooks', { status: 201, body: book({ balance: 0 }) });
    await p.inst.openBook();
    expect(server.requests.find((r) => r.path === '/points/me/passbooks').data).toEqual({ community_id: 2 });
    expect(h.callsOf('navigateTo').pop().url).toBe('/points/passbook/passbook');
    expect(p.text()).not.toContain('开通存折');
    const q = h.page('points/shop/shop');
    await q.inst.onLoad({});
    expect(q.text()).toContain('请从“我的积分”进入兑换超市');
  });
  test('success: classes, confirm and redeem, then a 409 explains', async () => {
    let stock = 1;
    server.route('GET', '/shop/items', () => shelf([item({ stock }), item({ id: 4, name: '大米', category: '粮油副食', price: 30, stock: 2 })]))
      .route('GET', '/points/me', mine([book()]));
    server.route('POST', '/shop/items/3/redeem', () => {
      if (stock === 0) return envelope(409, 'out_of_stock', '“毛巾”已兑完，请选择其他商品');
      stock -= 1;
      return { status: 200, body: { id: 1, item_id: 3, item_name: '毛巾', price: 10, at_counter: false, by: '张大妈', account_id: 5, member_code: 'K7M2Q9XW3D', balance: 2, entry_id: 9, created_at: '2026-11-22T09:00:00+08:00' } };
    });
    const p = h.page('points/shop/shop');
    await p.inst.onLoad({ community: '2' });
    expect(p.text()).toContain('12 分');
    expect(p.text()).not.toContain('开通存折');
    expect(p.text()).toContain('大米');
    p.inst.onCategory({ currentTarget: { dataset: { category: '日用百货' } } });
    expect(p.text()).not.toContain('大米');
    await p.inst.redeem({ currentTarget: { dataset: { id: 3 } } });
    await h.idle();
    expect(h.callsOf('showModal').pop().content).toBe('用 10 积分兑换“毛巾”？');
    expect(server.requests.find((r) => r.path === '/shop/items/3/redeem').data).toEqual({});
    expect(p.text()).toContain('兑换成功：“毛巾”，扣 10 分，存折余额 2 分');
    expect(p.text()).toContain('已兑完');
    await p.inst.redeem({ currentTarget: { dataset: { id: 3 } } });
    await h.idle();
    expect(p.text()).toContain('“毛巾”已兑完，请选择其他商品');
  });
  test('兑换 only for what the passbook can pay: 还差 N 分 otherwise, nothing sent', async () => {
    server.route('GET', '/shop/items', shelf([item(), item({ id: 4, name: '大米', category: '粮油副食', price: 30, stock: 2 })]))
      .route('GET', '/points/me', mine([book()]));
    const p = h.page('points/shop/shop');
    await p.inst.onLoad({ community: '2' });
    expect(p.text()).toContain('剩 4 件兑换');
    expect(p.text()).toContain('剩 2 件还差 18 分');
    expect(p.text()).not.toContain('剩 2 件兑换');
    await p.inst.redeem({ currentTarget: { dataset: { id: 4 } } });
    expect(p.text()).toContain('积分不够：兑换“大米”还差 18 分');
    expect(h.callsOf('showModal')).toHaveLength(0);
    expect(server.requests.filter((r) => r.path === '/shop/items/4/redeem')).toHaveLength(0);
  });
  test('without a passbook each item offers to open one, asked first', async () => {
    server.route('GET', '/shop/items', shelf([item()])).route('GET', '/points/me', mine([]));
    server.route('POST', '/points/me/passbooks', { status: 201, body: book({ balance: 0 }) });
    const p = h.page('points/shop/shop');
    await p.inst.onLoad({ community: '2' });
    expect(p.text()).toContain('开通存折后兑换');
    expect(p.text()).not.toMatch(/(^|[^后])兑换$/);
    h.modalAnswers.push(false);
    await p.inst.offerBook();
    expect(h.callsOf('showModal')[0]).toMatchObject({ title: '先开通存折', confirmText: '开通' });
    expect(server.requests.filter((r) => r.path === '/points/me/passbooks')).toHaveLength(0);
    await p.inst.redeem({ currentTarget: { dataset: { id: 3 } } });
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/points/me/passbooks')).toHaveLength(1);
    expect(server.requests.filter((r) => r.path === '/shop/items/3/redeem')).toHaveLength(0);
  });
  test('error loading the shelf', async () => {
    server.route('GET', '/shop/items', envelope(404, 'community_not_found', '找不到该社区')).route('GET', '/points/me', mine([]));
    const p = h.page('points/shop/shop');
    await p.inst.onLoad({ community: '99' });
    expect(p.text()).toContain('找不到该社区');
  });
});

describe('staff/counter/counter', () => {
  beforeEach(() => { server.roles = ['resident', 'staff']; });
  test('a refused camera says how to allow it', async () => {
    const p = h.page('staff/counter/counter');
    h.refusals.scanCode = { errMsg: 'scanCode:fail auth deny' };
    await p.inst.scan();
    await h.idle();
    expect(h.callsOf('showModal')[0]).toMatchObject({ title: '没有相机权限', confirmText: '去设置' });
    expect(h.callsOf('openSetting')).toHaveLength(1);
  });
  test('empty prompt, a code is required, error for an unknown code', async () => {
    server.route('GET', '/points', envelope(404, 'member_not_found', '找不到这个会员码，请让对方刷新后再出示'));
    const p = h.page('staff/counter/counter');
    expect(p.text()).toContain('请对方在小程序“我的积分”中出示会员码');
    await p.inst.lookup();
    expect(p.text()).toContain('请扫描或输入会员码');
    p.inst.onCode({ detail: { value: 'NOPE' } });
    const done = p.inst.lookup();
    expect(p.text()).toContain('正在查询');
    await done;
    expect(p.text()).toContain('找不到这个会员码');
  });
  test('success: look up, see the shelf, redeem for them', async () => {
    let balance = 12;
    server.route('GET', '/points', () => ({ status: 200, body: { items: [book({ balance })], total_balance: balance } }))
      .route('GET', '/shop/items', shelf([item(), item({ id: 4, name: '大米', price: 30 })]));
    server.route('POST', '/shop/items/3/redeem', (req) => {
      balance -= 10;
      return { status: 200, body: { id: 1, item_id: 3, item_name: '毛巾', price: 10, at_counter: true, by: 'secretary1', account_id: 5, member_code: req.data.member_code, balance, entry_id: 9, created_at: '2026-11-22T09:00:00+08:00' } };
    });
    const p = h.page('staff/counter/counter');
    p.inst.onCode({ detail: { value: 'k7m2q9xw3d' } });
    await p.inst.lookup();
    expect(server.requests.find((r) => r.path === '/points').query).toContain('person=k7m2q9xw3d');
    expect(p.text()).toContain('张大妈');
    expect(p.text()).toContain('存折余额 12 分');
    expect(p.text()).toContain('积分不足'); // 大米 costs 30
    await p.inst.redeem({ currentTarget: { dataset: { id: 3 } } });
    await h.idle();
    expect(h.callsOf('showModal').pop().content).toBe('为张大妈兑换“毛巾”，扣 10 分？');
    expect(server.requests.find((r) => r.path === '/shop/items/3/redeem').data).toEqual({ member_code: 'K7M2Q9XW3D' });
    expect(p.text()).toContain('已兑换“毛巾”，扣 10 分，余额 2 分');
    expect(p.text()).toContain('存折余额 2 分');
  });
});

describe('pages/mine and 工作台 link the time bank', () => {
  test('我的积分 for everyone, 柜台兑换 for staff', async () => {
    server.route('GET', '/me', fx.me({ roles: ['resident', 'staff'], areas: [{ id: 2, kind: 'community', name: '槐树社区', path_label: '城关街道 / 槐树社区' }] }))
      .route('GET', '/issues', fx.page([])).route('GET', '/wishes', fx.page([]));
    const p = h.page('pages/mine/mine');
    await p.inst.onLoad();
    await h.idle();
    expect(p.text()).toContain('我的积分（时间银行存折、兑换超市）');
    server.route('GET', '/me/workbench', { status: 200, body: { todo: null, review: 0, overdue: 0 } });
    const work = h.page('pages/work/work'); // staff's 柜台兑换 is on their 工作台
    await work.inst.onLoad();
    expect(work.text()).toContain('柜台兑换（扫会员码）');
  });
});

describe('pages/board links its community\'s shop', () => {
  test('积分兑换超市 opens the shop of the board\'s community', async () => {
    server.route('GET', '/boards/ABCD2345', { status: 200, body: {
      code: 'ABCD2345', alley: { id: 9, name: '南门巷' }, path_label: '城关街道 / 槐树社区 / 南门巷',
      community: { id: 2, name: '槐树社区', phone: null },
      figures: { open_now: 0, resolved_30d: 0, resolution_rate: null, average_rating: null, rated: 0, median_accept_minutes: null },
      stewards: [], recent_issues: [], wishes: [],
    } });
    const p = h.page('pages/board/board');
    await p.inst.onLoad({ code: 'ABCD2345' });
    await h.idle();
    expect(p.text()).toContain('槐树社区积分兑换超市');
    p.inst.onShop();
    expect(h.callsOf('navigateTo').pop().url).toBe('/points/shop/shop?community=2');
  });
});
