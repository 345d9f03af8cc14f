/** Steward subpackage pages: 待办, 办理, 随手做, 巡查打卡 — loading, empty, error and success each. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());
const input = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });
const steward = fx.me({ roles: ['resident', 'steward'], stewards: [{ id: 2, name: '李建国', alley_ids: [9, 10] }], areas: [{ id: 9, kind: 'alley', name: '南门巷', path_label: '' }, { id: 10, kind: 'alley', name: '槐荫里', path_label: '' }] });

describe('steward/todo/todo', () => {
  test('loading, then empty', async () => {
    server.route('GET', '/issues', fx.page([]));
    const p = h.page('steward/todo/todo');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载待办');
    await done;
    expect(p.text()).toContain('暂无待办');
    expect(server.requests.find((r) => r.path === '/issues').query).toContain('scope=assigned');
  });
  test('error', async () => {
    server.route('GET', '/issues', envelope(401, 'unauthorized', '请先登录'));
    const p = h.page('steward/todo/todo');
    await p.inst.onLoad();
    await h.idle();
    expect(p.text()).toContain('请先登录');
  });
  test('overdue first, then by deadline; pull to refresh', async () => {
    server.route('GET', '/issues', fx.page([
      fx.issue({ id: 1, content: '晚的', deadline: '2026-11-30T08:00:00+08:00' }),
      fx.issue({ id: 2, content: '早的', deadline: '2026-11-25T08:00:00+08:00' }),
      fx.issue({ id: 3, content: '超期的', deadline: '2026-11-28T08:00:00+08:00', overdue: true }),
    ]));
    const p = h.page('steward/todo/todo');
    await p.inst.onLoad();
    expect(p.data().items.map((i) => i.id)).toEqual([3, 2, 1]);
    expect(p.text()).toContain('其中 1 件已超期');
    await p.inst.onPullDownRefresh();
    expect(h.callsOf('stopPullDownRefresh')).toHaveLength(1);
  });
});

describe('steward/issue/issue', () => {
  test('loading then error', async () => {
    server.route('GET', '/issues/7', envelope(404, 'issue_not_found', '找不到该诉求'));
    const p = h.page('steward/issue/issue');
    const done = p.inst.onLoad({ id: '7' });
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('找不到该诉求');
  });
  test('accept, then resolve with a level; contact phone and location shown; 409 reloads', async () => {
    const fresh = fx.issue({ actions: ['accept', 'resolve', 'escalate', 'comment'], contact_phone: '13800000000', location: { lat: 30, lng: 120, address: '南门巷 1 号' } });
    server.route('GET', '/issues/7', { status: 200, body: fresh });
    server.route('POST', '/issues/7/accept', { status: 200, body: { ...fresh, status_label: '已接单', actions: ['resolve', 'escalate', 'comment'] } });
    const p = h.page('steward/issue/issue');
    await p.inst.onLoad({ id: '7' });
    expect(p.text()).toContain('138 0000 0000');
    expect(p.text()).toContain('南门巷 1 号');
    p.comp.querySelector('#view').instance.onMap();
    expect(h.callsOf('openLocation')[0]).toMatchObject({ latitude: 30, longitude: 120 });
    await p.inst.accept();
    expect(p.text()).toContain('已接单，请尽快处理');
    await p.inst.resolve();
    expect(p.text()).toContain('请先写处理说明');
    input(p, 'note', '已清理');
    p.inst.onLevel({ currentTarget: { dataset: { value: '上报社区' } } });
    await p.inst.resolve(); // the outcome is asked for, never assumed
    expect(p.text()).toContain('请选择办结结果');
    expect(server.requests.filter((r) => r.path === '/issues/7/resolve')).toHaveLength(0);
    p.inst.onOutcome({ currentTarget: { dataset: { value: 'solved' } } });
    server.route('POST', '/issues/7/resolve', envelope(409, 'invalid_transition', '该诉求已被撤销，不能办结'));
    await p.inst.resolve();
    await h.idle();
    expect(p.text()).toContain('该诉求已被撤销');
    expect(p.data().note).toBe('已清理');
    server.route('POST', '/issues/7/resolve', (req) => ({ status: 200, body: { ...fresh, status_label: '已办结', resolution_note: req.data.note, resolution_level: req.data.level, actions: [] } }));
    await p.inst.resolve();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/issues/7/resolve').pop().data).toEqual({ note: '已清理', photo_ids: [], level: '上报社区', outcome: 'solved' });
    expect(p.text()).toContain('办理结果（上报社区）');
  });
  test('only the actions possible now: 接单 before acceptance, then 办结, 上报社区 and 留言', async () => {
    const fresh = fx.issue({ actions: ['accept', 'resolve', 'escalate', 'comment'] });
    server.route('GET', '/issues/7', { status: 200, body: fresh });
    server.route('POST', '/issues/7/accept', { status: 200, body: { ...fresh, status_label: '已接单', actions: ['resolve', 'escalate', 'comment'] } });
    const p = h.page('steward/issue/issue');
    await p.inst.onLoad({ id: '7' });
    const later = ['办结结果', '解决不了，上报社区', '只留言', '处理说明'];
    expect(p.text()).toContain('接单后可以办结、上报社区或留言');
    for (const label of later) expect(p.text()).not.toContain(label);
    await p.inst.accept();
    for (const label of later) expect(p.text()).toContain(label);
    expect(p.text()).not.toContain('接单后可以');
  });
  test('resolve with an outcome and a reply template; a reason is asked for; the resident reads the outcome', async () => {
    const fresh = fx.issue({ actions: ['resolve', 'escalate', 'comment'] });
    server.route('GET', '/issues/7', { status: 200, body: fresh });
    server.route('GET', '/reply-templates', { status: 200, body: { items: [
      { id: 3, community_id: 1, title: '政策解释：高龄津贴', text: '高龄津贴按季度发放，已为您登记', outcome: 'answered', outcome_name: '已答复（政策解释）' },
    ] } });
    const p = h.page('steward/issue/issue');
    await p.inst.onLoad({ id: '7' });
    await h.idle();
    expect(server.requests.find((r) => r.path === '/reply-templates').query).toBe('issue_id=7');
    expect(p.text()).toContain('政策解释：高龄津贴');
    expect(p.text()).toContain('不属于职责（转出）');
    p.inst.onOutcome({ currentTarget: { dataset: { value: 'unsolvable' } } });
    await p.inst.resolve();
    expect(p.text()).toContain('无法解决请写明原因');
    expect(server.requests.filter((r) => r.path === '/issues/7/resolve')).toHaveLength(0);
    // a template fills the note; the outcome already chosen stays
    p.inst.onReply({ currentTarget: { dataset: { id: 3 } } });
    expect(p.data().note).toBe('高龄津贴按季度发放，已为您登记');
    expect(p.data().outcome).toBe('unsolvable');
    p.inst.onOutcome({ currentTarget: { dataset: { value: 'answered' } } });
    server.route('POST', '/issues/7/resolve', (req) => ({ status: 200, body: { ...fresh, status_label: '已办结', outcome: req.data.outcome, outcome_label: '已答复（政策解释）', resolution_note: req.data.note, actions: [] } }));
    await p.inst.resolve();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/issues/7/resolve').pop().data).toMatchObject({ note: '高龄津贴按季度发放，已为您登记', outcome: 'answered' });
    expect(p.text()).toContain('已办结（已答复（政策解释））');
    expect(p.text()).toContain('已答复（政策解释）');
  });
  test('a merged duplicate reads in plain words', async () => {
    server.route('GET', '/issues/7', { status: 200, body: fx.issue({ status: 'closed', status_label: '已完结', outcome: 'duplicate', outcome_label: '与 #5 重复，已合并', duplicate_of: 5, actions: [] }) });
    const p = h.page('steward/issue/issue');
    await p.inst.onLoad({ id: '7' });
    expect(p.text()).toContain('办理结果：与 #5 重复，已合并');
  });
});

describe('steward/quick/quick', () => {
  test('loading, not a steward (error), empty form, success', async () => {
    server.route('GET', '/me', fx.me());
    const p = h.page('steward/quick/quick');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('只有小巷管家可以登记随手做');

    server.route('GET', '/me', steward);
    const q = h.page('steward/quick/quick');
    await q.inst.onLoad();
    await q.inst.submit();
    expect(q.text()).toContain('请选择类别');
    q.inst.onAlley({ currentTarget: { dataset: { id: 10 } } });
    q.inst.onCategory({ currentTarget: { dataset: { value: '环境卫生' } } });
    input(q, 'content', '楼道堆物');
    input(q, 'note', '已清走');
    server.route('POST', '/issues', (req) => ({ status: 201, body: { ...fx.issue({ status_label: '已办结' }), similar: [] } }));
    await q.inst.submit();
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues').data).toMatchObject({ alley_id: 10, fixed_on_spot: { note: '已清走' } });
    expect(q.text()).toContain('已登记随手做');
  });
});

describe('steward/patrol/patrol', () => {
  test('loading, empty log, check-in, error keeps the note', async () => {
    server.route('GET', '/me', steward).route('GET', '/patrols', fx.page([]));
    const p = h.page('steward/patrol/patrol');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    await h.idle();
    expect(p.text()).toContain('还没有巡查记录');
    input(p, 'note', '无异常');
    p.inst.onLocation();
    await h.idle();
    server.route('POST', '/patrols', envelope(403, 'forbidden', '这条街巷不归您管'));
    await p.inst.submit();
    await h.idle();
    expect(p.text()).toContain('这条街巷不归您管');
    expect(p.data().note).toBe('无异常');
    server.route('POST', '/patrols', { status: 201, body: {} });
    server.route('GET', '/patrols', fx.page([{ id: 1, alley: { id: 9, name: '南门巷' }, created_at: '2026-11-22T09:00:00+08:00', note: '无异常', photos: [] }]));
    await p.inst.submit();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/patrols' && r.method === 'POST').pop().data).toMatchObject({ alley_id: 9, note: '无异常', location: { address: '南门巷 1 号' } });
    expect(p.text()).toContain('打卡成功');
    expect(p.text()).toContain('11月22日 09:00');
  });
  test('a refused location says how to allow it and opens the settings on request', async () => {
    server.route('GET', '/me', steward).route('GET', '/patrols', fx.page([]));
    const p = h.page('steward/patrol/patrol');
    await p.inst.onLoad();
    await h.idle();
    h.refusals.chooseLocation = { errMsg: 'chooseLocation:fail auth deny' };
    p.inst.onLocation();
    await h.idle();
    expect(h.callsOf('showModal')[0]).toMatchObject({ title: '没有位置信息权限', confirmText: '去设置' });
    expect(h.callsOf('openSetting')).toHaveLength(1);
  });
});
