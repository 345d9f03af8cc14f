/**
 * 工作台: the tab bar (custom-tab-bar/, utils/tabbar.js) shows 工作台 only to stewards, staff and
 * units' members, with a badge of what waits for them (GET /me/workbench); the 工作台 page
 * (pages/work/work) gives each role's entries with their counts, and tells anyone else what it
 * is for.
 */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());
const counts = (over) => ({ status: 200, body: { todo: null, review: null, overdue: null, ...over } });
const tabs = (bar) => bar.data().tabs.map((t) => `${t.text}${t.badge ? `(${t.badge})` : ''}`);

describe('the tab bar', () => {
  test('a resident sees 首页 and 我的 only, and no badge is asked for', async () => {
    h.storage.set('roles', ['resident']);
    const bar = h.page('custom-tab-bar/index');
    await bar.inst.refresh('/pages/mine/mine');
    expect(tabs(bar)).toEqual(['首页', '我的']);
    expect(bar.comp.querySelector('.tab-item.on').dom.textContent).toContain('我的');
    expect(server.requests.filter((r) => r.path === '/me/workbench')).toHaveLength(0);
  });
  test('a steward sees 工作台 with what waits; staff count 待审核 and 超期; none, no badge', async () => {
    h.storage.set('roles', ['resident', 'steward']);
    server.route('GET', '/me/workbench', counts({ todo: 3 }));
    const bar = h.page('custom-tab-bar/index');
    await bar.inst.refresh('/pages/board/board');
    expect(tabs(bar)).toEqual(['首页', '我的', '工作台(3)']);
    expect(bar.text()).toContain('3');
    h.storage.set('roles', ['resident', 'staff']);
    server.route('GET', '/me/workbench', counts({ review: 2, overdue: 120 }));
    await bar.inst.refresh('/pages/board/board');
    expect(tabs(bar)).toEqual(['首页', '我的', '工作台(99+)']);
    server.route('GET', '/me/workbench', counts({ review: 0, overdue: 0 }));
    await bar.inst.refresh('/pages/board/board');
    expect(tabs(bar)).toEqual(['首页', '我的', '工作台']);
    server.route('GET', '/me/workbench', envelope(503, 'unavailable', '服务暂时不可用，请稍后再试'));
    await bar.inst.refresh('/pages/board/board'); // the bar is never in the way
    expect(tabs(bar)).toEqual(['首页', '我的', '工作台']);
  });
  test('a tab switches (tab pages cannot be opened with navigateTo); its own tab does nothing', async () => {
    h.storage.set('roles', ['unit']);
    server.route('GET', '/me/workbench', counts({ todo: 0 }));
    const bar = h.page('custom-tab-bar/index');
    await bar.inst.refresh('/pages/mine/mine');
    bar.inst.onSwitch({ currentTarget: { dataset: { path: '/pages/work/work' } } });
    bar.inst.onSwitch({ currentTarget: { dataset: { path: '/pages/mine/mine' } } });
    expect(h.callsOf('switchTab').map((c) => c.url)).toEqual(['/pages/work/work']);
  });
});

describe('pages/work/work', () => {
  test('a steward and staff member: each role its entries, the counts on the waiting ones', async () => {
    server.route('GET', '/me', fx.me({ roles: ['resident', 'staff', 'steward'], stewards: [{ id: 2, name: '李建国', alley_ids: [9] }] }))
      .route('GET', '/me/workbench', counts({ todo: 2, review: 1, overdue: 0 }));
    const p = h.page('pages/work/work');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载工作台');
    await done;
    const text = p.text();
    expect(text).toContain('管家工作台');
    expect(text).toContain('待办（2 件）');
    expect(text).toContain('待审核（1 件）');
    expect(text).toContain('超期诉求（暂无）');
    expect(text).not.toContain('单位工作台');
    expect(text).not.toContain('去绑定');
    p.inst.onGo({ currentTarget: { dataset: { url: '/steward/todo/todo' } } });
    expect(h.callsOf('navigateTo').pop().url).toBe('/steward/todo/todo');
    p.inst.onBehalfWish();
    expect(h.callsOf('navigateTo').pop().url).toBe('/pages/wish/wish?behalf=1&alley_id=9');
  });
  test('a unit member: 本单位待办 with its count', async () => {
    server.route('GET', '/me', fx.me({ roles: ['unit'] })).route('GET', '/me/workbench', counts({ todo: 4 }));
    const p = h.page('pages/work/work');
    await p.inst.onLoad();
    expect(p.text()).toContain('本单位待办（4 件）');
    expect(p.text()).not.toContain('社区工作台');
  });
  test('someone without a role is told what it is for and offered 绑定; a failure says why', async () => {
    server.route('GET', '/me', fx.me()).route('GET', '/me/workbench', counts({}));
    const p = h.page('pages/work/work');
    await p.inst.onLoad();
    expect(p.text()).toContain('工作台供小巷管家、社区工作人员和承办单位使用');
    expect(p.text()).toContain('去绑定');
    server.route('GET', '/me/workbench', envelope(503, 'unavailable', '服务暂时不可用，请稍后再试'));
    const failed = h.page('pages/work/work');
    await failed.inst.onLoad();
    expect(failed.text()).toContain('服务暂时不可用');
  });
});
