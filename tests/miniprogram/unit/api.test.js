/** utils/api.js and utils/format.js: login, 401 once (withToken, for requests, uploads and downloads), error envelopes, offline header, network. */
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

describe('withToken: the one 401 retry of requests, uploads and downloads', () => {
  const sent = (method, path) => server.requests.filter((r) => r.method === method && r.path === path);
  const bearer = (r) => r.header.Authorization;

  test('a 401 on an upload logs in again and repeats it once, with the new token', async () => {
    let n = 0;
    server.route('POST', '/media', () => (n++ === 0 ? envelope(401, 'unauthorized', '请先登录') : { status: 201, body: { id: 42 } }));
    h.storage.set('token', 'revoked');
    h.loginCode = 'dev:新';
    expect(await api.upload('/media', '/tmp/a.jpg')).toEqual({ id: 42 });
    expect(sent('POST', '/media').map(bearer)).toEqual(['Bearer revoked', 'Bearer tok-dev:新']);
    expect(h.callsOf('login')).toHaveLength(1);
  });

  test('a 401 on a download logs in again and repeats it once; a second 401 is final', async () => {
    const fs = require('fs');
    fs.writeFileSync('/tmp/mp-401.json', JSON.stringify({ error: { code: 'unauthorized', message: '登录已失效' } }));
    let n = 0;
    server.route('GET', '/ledger.xlsx', () => (n++ === 0 ? { status: 401, file: '/tmp/mp-401.json' } : { status: 200, file: '/tmp/ledger.xlsx' }));
    h.storage.set('token', 'revoked');
    expect(await api.download('/ledger.xlsx', { date_from: '2026-11-01' })).toBe('/tmp/ledger.xlsx');
    expect(sent('GET', '/ledger.xlsx')).toHaveLength(2);
    expect(sent('GET', '/ledger.xlsx')[1].query).toBe('date_from=2026-11-01');

    server.route('GET', '/ledger.xlsx', { status: 401, file: '/tmp/mp-401.json' });
    await expect(api.download('/ledger.xlsx')).rejects.toMatchObject({ status: 401, message: '登录已失效' });
    expect(sent('GET', '/ledger.xlsx')).toHaveLength(4);
    expect(h.callsOf('login')).toHaveLength(2);
  });

  test('a second 401 on an upload is not tried a third time', async () => {
    server.route('POST', '/media', envelope(401, 'unauthorized', '登录已失效'));
    await expect(api.upload('/media', '/tmp/a.jpg')).rejects.toMatchObject({ status: 401 });
    expect(sent('POST', '/media')).toHaveLength(2);
  });

  test('other errors are not retried and do not log in again', async () => {
    h.storage.set('token', 'good');
    server.route('POST', '/issues/7/accept', envelope(403, 'forbidden', '只有被派单的管家可以接单'));
    await expect(api.post('/issues/7/accept', {})).rejects.toMatchObject({ status: 403 });
    server.route('POST', '/media', envelope(409, 'conflict', '冲突'));
    await expect(api.upload('/media', '/tmp/a.jpg')).rejects.toMatchObject({ status: 409 });
    server.route('GET', '/ledger.xlsx', { status: 500, file: '/tmp/none' });
    await expect(api.download('/ledger.xlsx')).rejects.toMatchObject({ status: 500 });
    expect(sent('POST', '/issues/7/accept')).toHaveLength(1);
    expect(sent('POST', '/media')).toHaveLength(1);
    expect(sent('GET', '/ledger.xlsx')).toHaveLength(1);

    server.down = true;
    await expect(api.get('/me')).rejects.toMatchObject({ status: 0, code: 'network' });
    await expect(api.upload('/media', '/tmp/a.jpg')).rejects.toMatchObject({ status: 0, code: 'network' });
    await expect(api.download('/ledger.xlsx')).rejects.toMatchObject({ status: 0, code: 'network' });
    expect(h.callsOf('request')).toHaveLength(2);
    expect(h.callsOf('uploadFile')).toHaveLength(2);
    expect(h.callsOf('downloadFile')).toHaveLength(2);
    expect(h.callsOf('login')).toHaveLength(0);
    expect(h.storage.get('token')).toBe('good');
  });
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
