/** utils/api.js and utils/format.js: login, 401 once, error envelopes, offline header, network. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const api = require('../../../miniprogram/utils/api');
const fmt = require('../../../miniprogram/utils/format');
const config = require('../../../miniprogram/config');

const server = fakeServer();
beforeEach(() => server.reset());

test('logs in with wx.login, keeps the token in storage and sends it as a bearer token', async () => {
  server.route('GET', '/me', (req) => ({ status: 200, body: { auth: req.header.Authorization } }));
  h.loginCode = 'dev:张三';
  const out = await api.get('/me');
  expect(out.auth).toBe('Bearer tok-dev:张三');
  expect(h.storage.get('token')).toBe('tok-dev:张三');
  await api.get('/me');
  expect(h.callsOf('login')).toHaveLength(1);
});

test('API_BASE is read at request time', async () => {
  server.route('GET', '/boards/X', { status: 200, body: {} });
  const before = config.API_BASE;
  config.API_BASE = 'https://elsewhere.example.cn/';
  try {
    await api.get('/boards/X', null, { auth: false });
  } finally {
    config.API_BASE = before;
  }
  expect(h.callsOf('request')[0].url).toBe('https://elsewhere.example.cn/api/v1/boards/X');
});

test('a 401 logs in again once and repeats; a second 401 shows the message', async () => {
  let n = 0;
  server.route('GET', '/me', () => (n++ === 0 ? envelope(401, 'unauthorized', '请先登录') : { status: 200, body: { ok: true } }));
  h.storage.set('token', 'revoked');
  expect(await api.get('/me')).toEqual({ ok: true });
  expect(h.callsOf('login')).toHaveLength(1);

  server.route('GET', '/me', envelope(401, 'unauthorized', '登录已失效，请重新打开小程序'));
  await expect(api.get('/me')).rejects.toMatchObject({ status: 401, message: '登录已失效，请重新打开小程序' });
  expect(h.callsOf('login')).toHaveLength(2);
});

test('error envelopes become ApiErrors with the Chinese message and fields; HTML 500 gets our own', async () => {
  server.route('POST', '/issues', envelope(400, 'validation_error', '请检查填写的内容', { content: '必填' }));
  await expect(api.post('/issues', {})).rejects.toMatchObject({ status: 400, code: 'validation_error', message: '请检查填写的内容', fields: { content: '必填' } });
  server.route('GET', '/x', { status: 502, body: '<html>Bad gateway</html>' });
  await expect(api.get('/x')).rejects.toMatchObject({ message: '服务器出了点问题，请稍后再试。' });
});

test('the offline header is noticed; an unreachable server is a network message', async () => {
  server.route('GET', '/boards/X', { status: 200, body: {} });
  await api.get('/boards/X', null, { auth: false });
  expect(api.isOffline()).toBe(true);
  server.down = true;
  await expect(api.get('/boards/X', null, { auth: false })).rejects.toMatchObject({ status: 0, code: 'network' });
  expect(api.messageOf(new Error('boom'))).toBe('服务器出了点问题，请稍后再试。');
});

test('format helpers: grouped phones, rates with counts, board codes from q', () => {
  expect(fmt.groupPhone('17000000101')).toBe('170 0000 0101');
  expect(fmt.groupPhone('0571-8888888')).toBe('0571-8888888');
  expect(fmt.rate(0.5, 1, 2)).toBe('50%（1/2）');
  expect(fmt.rate(null, 0, 0)).toBe('—（0/0）');
  expect(fmt.boardCodeFrom({ q: encodeURIComponent('https://a.cn/b/7MDW26W5/') })).toBe('7MDW26W5');
  expect(fmt.boardCodeFrom({ q: encodeURIComponent('https://a.cn/b/7MDW26W5#x') })).toBe('7MDW26W5');
  expect(fmt.boardCodeFrom({ code: 'ABC' })).toBe('ABC');
  expect(fmt.dateTime('2026-11-22T08:30:00+08:00')).toBe('11月22日 08:30');
});
