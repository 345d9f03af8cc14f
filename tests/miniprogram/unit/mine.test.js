/** pages/mine/mine: loading, empty, error, success with role workbenches, offline login code. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

test('loading then empty lists for a new resident', async () => {
  server.route('GET', '/me', fx.me()).route('GET', '/issues', fx.page([])).route('GET', '/wishes', fx.page([]));
  const p = h.page('pages/mine/mine');
  const done = p.inst.onLoad();
  expect(p.text()).toContain('正在加载');
  await done;
  await h.idle();
  expect(p.text()).toContain('我的身份：居民');
  expect(p.text()).toContain('您还没有反映过问题');
  expect(p.text()).not.toContain('去工作台');
});

test('error shows the message, and offline mode offers the login code box', async () => {
  server.route('GET', '/me', envelope(503, 'unavailable', '服务暂时不可用，请稍后再试'));
  const p = h.page('pages/mine/mine');
  await p.inst.onLoad();
  await h.idle();
  expect(p.text()).toContain('服务暂时不可用');
  expect(p.text()).toContain('离线演示：登录码');
  server.route('GET', '/me', fx.me({ roles: ['resident', 'steward'] })).route('GET', '/issues', fx.page([])).route('GET', '/wishes', fx.page([]));
  p.inst.onDevCode({ detail: { value: 'dev:王秀英' } });
  await p.inst.onDevLogin();
  await h.idle();
  expect(h.storage.get('devLoginCode')).toBe('dev:王秀英');
  expect(server.requests.filter((r) => r.path === '/auth/login').pop().data).toEqual({ code: 'dev:王秀英' });
  expect(p.text()).toContain('去工作台');
});

test('success: my issues, wishes and the staff workbench', async () => {
  server.route('GET', '/me', fx.me({ roles: ['resident', 'staff'], areas: [{ id: 2, kind: 'community', name: '槐树社区', path_label: '城关街道 / 槐树社区' }] }))
    .route('GET', '/issues', fx.page([fx.issue()]))
    .route('GET', '/wishes', (req) => (req.query.includes('mine') ? fx.page([fx.wish({ title: '我的心愿' })]) : fx.page([])));
  const p = h.page('pages/mine/mine');
  await p.inst.onLoad();
  await h.idle();
  expect(p.text()).toContain('去工作台');
  expect(p.text()).toContain('南门巷口垃圾堆放三天了');
  p.inst.onTab({ currentTarget: { dataset: { tab: 'wishes' } } });
  expect(p.text()).toContain('我的心愿');
  p.inst.onOpenIssue({ currentTarget: { dataset: { id: 7 } } });
  expect(h.callsOf('navigateTo').pop().url).toBe('/pages/issue/issue?id=7');
});

test('my own items lead the page; 绑定 is offered to a resident, not to someone already bound', async () => {
  server.route('GET', '/me', fx.me()).route('GET', '/issues', fx.page([fx.issue()])).route('GET', '/wishes', fx.page([]));
  const p = h.page('pages/mine/mine');
  await p.inst.onLoad();
  await h.idle();
  const text = p.text();
  expect(text.indexOf('我的事项')).toBeLessThan(text.indexOf('我的身份'));
  expect(text.indexOf('南门巷口垃圾堆放三天了')).toBeLessThan(text.indexOf('志愿服务'));
  expect(text).toContain('待接单'); // the item's status, beside it
  expect(text).toContain('绑定（管家、社区工作人员或承办单位）');
  server.route('GET', '/me', fx.me({ roles: ['resident', 'steward'] }));
  const bound = h.page('pages/mine/mine');
  await bound.inst.onLoad();
  await h.idle();
  expect(bound.text()).not.toContain('绑定（');
  bound.inst.onWork();
  expect(h.callsOf('switchTab').pop().url).toBe('/pages/work/work');
});

test('大字模式: the switch is remembered, this page follows at once and the others when shown', async () => {
  server.route('GET', '/me', fx.me()).route('GET', '/issues', fx.page([])).route('GET', '/wishes', fx.page([]));
  const board = h.page('pages/wishes/wishes'); // a page already open under 我的
  const p = h.page('pages/mine/mine');
  await p.inst.onLoad();
  await h.idle();
  const root = (page) => page.comp.querySelector('.page').dom.className;
  expect(root(p)).not.toContain('large-text');
  p.inst.onLargeText({ detail: { value: true } });
  expect(h.storage.get('largeText')).toBe(true);
  expect(p.data().largeText).toBe(true);
  expect(root(p)).toContain('large-text');
  expect(root(board)).not.toContain('large-text');
  board.comp.triggerPageLifeTime('show'); // back to it
  expect(root(board)).toContain('large-text');
  const later = h.page('pages/mine/mine'); // a page opened afterwards starts large
  expect(root(later)).toContain('large-text');
  expect(later.inst.data.largeText).toBe(false); // the switch's own state is read on load
  await later.inst.onLoad();
  await h.idle();
  expect(later.data().largeText).toBe(true);
  p.inst.onLargeText({ detail: { value: false } });
  expect(h.storage.get('largeText')).toBe(false);
  expect(root(p)).not.toContain('large-text');
});
