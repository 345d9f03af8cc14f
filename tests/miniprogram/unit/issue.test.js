/** pages/issue/issue (resident): loading, error, success with timeline, rating, reopen, call stewards. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

test('loading then not found', async () => {
  server.route('GET', '/issues/7', envelope(404, 'issue_not_found', '找不到该诉求'));
  const p = h.page('pages/issue/issue');
  const done = p.inst.onLoad({ id: '7' });
  expect(p.text()).toContain('正在加载');
  await done;
  expect(p.text()).toContain('找不到该诉求');
});

test('a fresh item shows status, deadline, timeline and the stewards to call; no rating yet', async () => {
  server.route('GET', '/issues/7', { status: 200, body: fx.issue() });
  const p = h.page('pages/issue/issue');
  await p.inst.onLoad({ id: '7' });
  const t = p.text();
  expect(t).toContain('待接单');
  expect(t).toContain('办理期限 11月24日 08:30');
  expect(t).toContain('反映问题');
  expect(t).toContain('170 0000 0101');
  expect(t).not.toContain('评价办理结果');
  p.inst.onCall({ currentTarget: { dataset: { phone: '17000000101' } } });
  expect(h.callsOf('makePhoneCall')[0].phoneNumber).toBe('17000000101');
});

test('a resolved item is rated 1–5 with words; an empty rating is refused first', async () => {
  const resolved = fx.issue({ status: 'resolved', status_label: '已办结', resolution_note: '已清理', actions: ['comment', 'rate', 'reopen'] });
  server.route('GET', '/issues/7', { status: 200, body: resolved });
  server.route('POST', '/issues/7/rate', (req) => ({ status: 200, body: fx.issue({ ...resolved, status: 'closed', status_label: '已评价', rating: req.data.score, rating_text: req.data.text, actions: [] }) }));
  const p = h.page('pages/issue/issue');
  await p.inst.onLoad({ id: '7' });
  expect(p.text()).toContain('很不满意');
  expect(p.text()).toContain('很满意');
  await p.inst.submitRating();
  expect(p.text()).toContain('请先点星星');
  p.inst.onRate({ detail: {}, currentTarget: { dataset: { score: 4 } } });
  expect(p.text()).toContain('4 分 · 满意');
  p.inst.onInput({ currentTarget: { dataset: { field: 'rateText' } }, detail: { value: '很快' } });
  await p.inst.submitRating();
  await h.idle();
  expect(server.requests.find((r) => r.path === '/issues/7/rate').data).toEqual({ score: 4, text: '很快' });
  expect(p.text()).toContain('谢谢您的评价');
  expect(p.text()).toContain('居民评价：4 分（满意）很快');
});

test('reopen past the window shows the 409 message and keeps the note', async () => {
  server.route('GET', '/issues/7', { status: 200, body: fx.issue({ status: 'resolved', actions: ['reopen'] }) });
  server.route('POST', '/issues/7/reopen', envelope(409, 'reopen_window_passed', '办结已超过 7 天，不能重新打开，请重新反映'));
  const p = h.page('pages/issue/issue');
  await p.inst.onLoad({ id: '7' });
  await p.inst.reopen();
  expect(p.text()).toContain('请写一写哪里还没有解决');
  p.inst.onInput({ currentTarget: { dataset: { field: 'note' } }, detail: { value: '还是很脏' } });
  await p.inst.reopen();
  await h.idle();
  expect(p.text()).toContain('办结已超过 7 天');
  expect(p.data().note).toBe('还是很脏');
});

test('撤销 is asked first: 再想想 keeps the report, 撤销 cancels it once', async () => {
  server.route('GET', '/issues/7', { status: 200, body: fx.issue() });
  server.route('POST', '/issues/7/cancel', { status: 200, body: fx.issue({ status: 'cancelled', status_label: '已撤销', actions: [] }) });
  const p = h.page('pages/issue/issue');
  await p.inst.onLoad({ id: '7' });
  h.modalAnswers.push(false);
  await p.inst.cancel();
  expect(h.callsOf('showModal')[0]).toMatchObject({ title: '确认撤销这条反映？', confirmText: '撤销' });
  expect(server.requests.filter((r) => r.path === '/issues/7/cancel')).toHaveLength(0);
  await p.inst.cancel();
  await h.idle();
  expect(server.requests.filter((r) => r.path === '/issues/7/cancel')).toHaveLength(1);
  expect(p.text()).toContain('已撤销这条反映');
});

test('the reporter sees their own phone without a call button; closed reads 已办结 like resolved', async () => {
  server.route('GET', '/issues/7', { status: 200, body: fx.issue({ contact_phone: '13800000000', status: 'closed', status_label: '已完结', stewards: [], actions: [] }) });
  const p = h.page('pages/issue/issue');
  await p.inst.onLoad({ id: '7' });
  expect(p.text()).toContain('您留的联系电话：138 0000 0000');
  expect(p.text()).not.toContain('📞');
  expect(p.text()).toContain('已办结');
  expect(p.text()).not.toContain('已完结');
});
