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
  expect(p.text()).not.toContain('管家工作台');
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
  expect(p.text()).toContain('管家工作台');
});

test('success: my issues, wishes and the staff workbench', async () => {
  server.route('GET', '/me', fx.me({ roles: ['resident', 'staff'], areas: [{ id: 2, kind: 'community', name: '槐树社区', path_label: '城关街道 / 槐树社区' }] }))
    .route('GET', '/issues', fx.page([fx.issue()]))
    .route('GET', '/wishes', (req) => (req.query.includes('mine') ? fx.page([fx.wish({ title: '我的心愿' })]) : fx.page([])));
  const p = h.page('pages/mine/mine');
  await p.inst.onLoad();
  await h.idle();
  expect(p.text()).toContain('社区工作台');
  expect(p.text()).toContain('南门巷口垃圾堆放三天了');
  p.inst.onTab({ currentTarget: { dataset: { tab: 'wishes' } } });
  expect(p.text()).toContain('我的心愿');
  p.inst.onOpenIssue({ currentTarget: { dataset: { id: 7 } } });
  expect(h.callsOf('navigateTo').pop().url).toBe('/pages/issue/issue?id=7');
});
