/** pages/bind/bind: empty code, refused code, success shows the new role. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

test('an empty code is refused before sending; a used code shows the server message', async () => {
  const p = h.page('pages/bind/bind');
  p.inst.onLoad();
  await p.inst.submit();
  expect(p.text()).toContain('请输入社区给您的绑定码');
  server.route('POST', '/auth/bind', envelope(410, 'bind_code_used', '绑定码已经用过了，请向社区重新要一个'));
  p.inst.onInput({ detail: { value: 'abcd 2345' } });
  await p.inst.submit();
  await h.idle();
  expect(server.requests.find((r) => r.path === '/auth/bind').data).toEqual({ code: 'ABCD2345' });
  expect(p.text()).toContain('绑定码已经用过了');
  expect(p.data().code).toBe('abcd 2345');
});

test('success shows the new role', async () => {
  server.route('POST', '/auth/bind', { status: 200, body: { role: 'steward', steward: { id: 2, name: '李建国', alley_ids: [9] }, area: { id: 9, kind: 'alley', name: '南门巷', path_label: '槐树社区 / 南门巷' } } });
  server.route('GET', '/me', fx.me({ roles: ['resident', 'steward'] }));
  const p = h.page('pages/bind/bind');
  p.inst.onInput({ detail: { value: 'ABCD2345' } });
  const done = p.inst.submit();
  expect(p.text()).toContain('正在绑定');
  await done;
  await h.idle();
  expect(p.text()).toContain('绑定成功！李建国，您现在是小巷管家（槐树社区 / 南门巷）');
  expect(h.storage.get('roles')).toEqual(['resident', 'steward']);
});
