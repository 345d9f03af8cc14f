/**
 * No dead ends: a page whose content could not be loaded is a full-page state with the reason,
 * 重新加载 (which loads again) and 返回首页 (components/load-failed); a page without a form
 * never promises that typed content was kept.
 */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

const failed = (p) => p.comp.querySelector('load-failed') || null;

test.each([
  ['pages/issue/issue', '/issues/7', { id: '7' }, () => ({ status: 200, body: fx.issue() }), '南门巷口垃圾堆放三天了'],
  ['pages/wish-item/wish-item', '/wishes/5', { id: '5' }, () => ({ status: 200, body: fx.wish() }), '想要一副老花镜'],
  ['pages/mine/mine', '/me', {}, () => fx.me(), '我的身份'],
])('%s: a failed load offers 重新加载 and 返回首页, and 重新加载 shows the content', async (rel, route, options, ok, shown) => {
  server.route('GET', route, envelope(503, 'unavailable', '服务暂时不可用，请稍后再试'));
  server.route('GET', '/issues', fx.page([]));
  server.route('GET', '/wishes', fx.page([]));
  const p = h.page(rel);
  await p.inst.onLoad(options);
  await h.idle();
  expect(p.data().state).toBe('error');
  const text = p.text();
  expect(text).toContain('服务暂时不可用，请稍后再试');
  expect(text).toContain('重新加载');
  expect(text).toContain('返回首页');
  expect(text).not.toContain('填写的内容已保留');

  const box = p.comp.querySelector('#failed');
  box.instance.onHome();
  expect(h.callsOf('reLaunch').pop().url).toBe('/pages/board/board');

  server.route('GET', route, ok());
  box.instance.onRetry();
  await h.idle();
  expect(p.data().state).toBe('ready');
  expect(p.text()).toContain(shown);
  expect(p.text()).not.toContain('重新加载');
});

test('an unreachable server on a page without a form does not say the typed content was kept', async () => {
  server.down = true;
  const p = h.page('pages/issue/issue');
  await p.inst.onLoad({ id: '7' });
  await h.idle();
  expect(p.text()).toContain('网络不通，连不上服务器。请检查网络后再试。');
  expect(p.text()).not.toContain('填写的内容已保留');
});
