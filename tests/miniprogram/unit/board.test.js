/** pages/board/board: scan decoding, loading, empty, error (404/410/unreachable) and success. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');

const server = fakeServer();
const BOARD = {
  code: 'ABCD2345',
  alley: { id: 9, name: '南门巷' },
  path_label: '城关街道 / 槐树社区 / 第一网格 / 南门巷',
  community: { id: 2, name: '槐树社区', phone: '17000009001' },
  figures: { open_now: 2, resolved_30d: 5, resolution_rate: 0.5, average_rating: 4.5, rated: 2, median_accept_minutes: 30 },
  stewards: [{ id: 1, name: '王秀英', phone: '17000000101', is_leader: true, posts: ['信息员'], households: 46, duties: '收集社情民意', photo_url: null }],
  recent_issues: [{ id: 3, number: 'S2611220001', category: '环境卫生', content: '垃圾没清', status_label: '已受理', created_at: '2026-11-22T08:30:00+08:00', resolution_note: null, photos: [] }],
  wishes: [{ id: 4, title: '轮椅', display_name: '张奶奶', beneficiary_label: '独居/困难老人', status_label: '待认领' }],
};

beforeEach(() => server.reset());

test('q is decoded exactly once and the board is shown with grouped phones', async () => {
  server.route('GET', '/boards/ABCD2345', { status: 200, body: BOARD });
  const p = h.page('pages/board/board');
  const q = encodeURIComponent('https://xx.example.gov.cn/b/ABCD2345?from=qr');
  const done = p.inst.onLoad({ q });
  expect(p.text()).toContain('正在打开公示牌');
  await done;
  await h.idle();
  const text = p.text();
  expect(text).toContain('王秀英');
  expect(text).toContain('170 0000 0101');
  expect(text).toContain('社区监督电话');
  expect(text).toContain('170 0000 9001');
  expect(text).toContain('50%');
  expect(text).toContain('垃圾没清');
  expect(text).toContain('轮椅');
  expect(server.requests.find((r) => r.path.startsWith('/boards/')).path).toBe('/boards/ABCD2345');
  p.inst.onCall({ currentTarget: { dataset: { phone: '17000000101' } } });
  expect(h.callsOf('makePhoneCall')[0].phoneNumber).toBe('17000000101');
});

test('a q that was encoded twice is not decoded twice (no code found)', async () => {
  const p = h.page('pages/board/board');
  await p.inst.onLoad({ q: encodeURIComponent(encodeURIComponent('https://x.cn/b/ABCD2345')) });
  expect(p.text()).toContain('没有认出公示牌编码');
  expect(server.requests).toHaveLength(0);
});

test('?code= works and an empty board shows empty lists', async () => {
  server.route('GET', '/boards/EMPTY234', { status: 200, body: { ...BOARD, code: 'EMPTY234', recent_issues: [], wishes: [] } });
  const p = h.page('pages/board/board');
  await p.inst.onLoad({ code: 'EMPTY234' });
  await h.idle();
  expect(p.text()).toContain('最近没有反映的问题');
  expect(p.text()).toContain('心愿墙上暂时没有心愿');
});

test('410 shows its message and the code box; typing a code opens that board', async () => {
  server.route('GET', '/boards/OLD23456', envelope(410, 'board_retired', '该公示牌已停用，请拨打社区电话 17000009001'));
  server.route('GET', '/boards/ABCD2345', { status: 200, body: BOARD });
  const p = h.page('pages/board/board');
  await p.inst.onLoad({ code: 'OLD23456' });
  await h.idle();
  expect(p.text()).toContain('该公示牌已停用');
  expect(p.text()).toContain('输入公示牌编码');
  p.inst.onTypeCode({ detail: { value: 'abcd2345' } });
  await p.inst.onSubmitCode();
  await h.idle();
  expect(p.text()).toContain('王秀英');
});

test('opened without a scan, the board scanned last is shown', async () => {
  server.route('GET', '/boards/ABCD2345', { status: 200, body: BOARD });
  h.storage.set('lastBoard', { code: 'ABCD2345', alley: '南门巷' });
  const p = h.page('pages/board/board');
  await p.inst.onLoad({});
  await h.idle();
  expect(p.text()).toContain('王秀英');
});

test('server unreachable shows a Chinese network message', async () => {
  server.down = true;
  const p = h.page('pages/board/board');
  await p.inst.onLoad({ code: 'ABCD2345' });
  await h.idle();
  expect(p.text()).toContain('网络不通');
});

test('转发 forwards the board shown, titled by its alley; before one is shown, the bare page', async () => {
  server.route('GET', '/boards/ABCD2345', { status: 200, body: BOARD });
  const p = h.page('pages/board/board');
  expect(p.inst.onShareAppMessage()).toEqual({ title: '小巷管家：身边的问题，扫码就能反映', path: '/pages/board/board' });
  await p.inst.onLoad({ code: 'ABCD2345' });
  expect(p.inst.onShareAppMessage()).toEqual({ title: '南门巷的小巷管家公示牌：有事找管家', path: '/pages/board/board?code=ABCD2345' });
});

test('首页 before any board: 扫一扫 opens the scanned board; a code not ours is said so', async () => {
  server.route('GET', '/boards/ABCD2345', { status: 200, body: BOARD });
  const p = h.page('pages/board/board');
  await p.inst.onLoad({});
  expect(p.text()).toContain('还没有扫过公示牌');
  expect(p.text()).toContain('扫一扫公示牌二维码');
  const answers = ['https://weixin.qq.com/x/other', 'https://xx.example.gov.cn/b/ABCD2345'];
  wx.scanCode = (o) => o.success({ result: answers.shift(), errMsg: 'scanCode:ok' });
  p.inst.onScan();
  expect(p.text()).toContain('这不是小巷管家公示牌的二维码');
  p.inst.onScan();
  await h.idle();
  expect(p.text()).toContain('王秀英');
  expect(h.storage.get('lastBoard')).toEqual({ code: 'ABCD2345', alley: '南门巷' });
  p.inst.onMine();
  expect(h.callsOf('switchTab').pop().url).toBe('/pages/mine/mine');
});

test('an item handed to a department reads as who works on it now, not the office word 已吹哨', async () => {
  const whistled = { ...BOARD.recent_issues[0], status: 'whistled', status_label: '已吹哨' };
  server.route('GET', '/boards/ABCD2345', { status: 200, body: { ...BOARD, recent_issues: [whistled] } });
  const p = h.page('pages/board/board');
  await p.inst.onLoad({ code: 'ABCD2345' });
  await h.idle();
  expect(p.text()).toContain('相关部门处理中');
  expect(p.text()).not.toContain('吹哨');
});
