/** 包联户 pages of the steward subpackage — 我的包联户, 民情联系卡 (call, record a visit) — and
 * the patrol page's "走访了哪几户" choice: loading, empty, error and success each. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());
const input = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });
const steward = fx.me({ roles: ['resident', 'steward'], stewards: [{ id: 2, name: '李建国', alley_ids: [9] }], areas: [{ id: 9, kind: 'alley', name: '南门巷', path_label: '' }] });

function household(over = {}) {
  return {
    id: 5,
    address: '南门巷 3 号',
    head_name: '王大爷',
    head_phone: '13811112222',
    tags: ['独居老人', '低保'],
    alley: { id: 9, name: '南门巷' },
    steward: { id: 2, name: '李建国' },
    member_count: 1,
    active: true,
    last_visit_at: null,
    visit_due_at: '2026-11-29T09:00:00+08:00',
    overdue: false,
    ...over,
  };
}

function card(over = {}) {
  return {
    ...household(),
    community: { id: 2, name: '幸福社区' },
    steward: { id: 2, name: '李建国', phone: '13700000000' },
    members: [{ name: '李秀兰', relation: '配偶', birth_year: 1950, phone: '13900001111', notes: '' }],
    notes: '腿脚不便',
    plans: [{ id: 1, household_id: 5, member_name: '', group: '鳏寡孤独', plan: '每周上门一次', volunteer: { user_id: null, name: '刘老师', phone: null }, interval_days: 7, active: true, due_at: '2026-11-29T09:00:00+08:00', overdue: false, created_at: '2026-11-22T09:00:00+08:00' }],
    visits: [],
    visit_count: 0,
    created_at: '2026-11-22T09:00:00+08:00',
    updated_at: '2026-11-22T09:00:00+08:00',
    ...over,
  };
}

describe('steward/households/households', () => {
  test('loading, then empty', async () => {
    server.route('GET', '/households', fx.page([]));
    const p = h.page('steward/households/households');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载包联户');
    await done;
    expect(p.text()).toContain('还没有登记包联户');
  });
  test('error', async () => {
    server.route('GET', '/households', envelope(403, 'households_forbidden', '只有小巷管家和社区工作人员可以查看包联户'));
    const p = h.page('steward/households/households');
    await p.inst.onLoad();
    await h.idle();
    expect(p.text()).toContain('只有小巷管家和社区工作人员可以查看包联户');
  });
  test('overdue first; tap opens the card; pull to refresh', async () => {
    server.route('GET', '/households', fx.page([
      household({ id: 5 }),
      household({ id: 6, head_name: '李奶奶', address: '南门巷 5 号', overdue: true, last_visit_at: '2026-11-10T10:00:00+08:00' }),
    ]));
    const p = h.page('steward/households/households');
    await p.inst.onLoad();
    expect(p.data().items.map((i) => i.id)).toEqual([6, 5]);
    expect(p.text()).toContain('共 2 户，其中 1 户走访已超期');
    expect(p.text()).toContain('上次走访：11月10日 10:00');
    expect(p.text()).toContain('独居老人、低保');
    p.inst.onOpen({ currentTarget: { dataset: { id: 6 } } });
    expect(h.callsOf('navigateTo')[0].url).toBe('/steward/household/household?id=6');
    await p.inst.onPullDownRefresh();
    expect(h.callsOf('stopPullDownRefresh')).toHaveLength(1);
  });
});

describe('steward/household/household', () => {
  test('loading then error', async () => {
    server.route('GET', '/households/5', envelope(404, 'household_not_found', '找不到该户'));
    const p = h.page('steward/household/household');
    const done = p.inst.onLoad({ id: '5' });
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('找不到该户');
  });
  test('empty card: no members, plans or visits', async () => {
    server.route('GET', '/households/5', { status: 200, body: card({ members: [], plans: [], head_phone: null }) });
    const p = h.page('steward/household/household');
    await p.inst.onLoad({ id: '5' });
    expect(p.text()).toContain('未登记其他成员');
    expect(p.text()).toContain('暂无帮扶计划');
    expect(p.text()).toContain('还没有走访记录');
    expect(p.text()).not.toContain('拨打');
  });
  test('card, call, a visit refused keeps the note, then recorded', async () => {
    server.route('GET', '/households/5', { status: 200, body: card() });
    const p = h.page('steward/household/household');
    await p.inst.onLoad({ id: '5' });
    expect(p.text()).toContain('拨打 138 1111 2222');
    expect(p.text()).toContain('李秀兰（配偶，1950年生）');
    expect(p.text()).toContain('每周上门一次');
    expect(p.text()).toContain('结对志愿者：刘老师');
    p.inst.onCall({ currentTarget: { dataset: { phone: '13811112222' } } });
    expect(h.callsOf('makePhoneCall')[0]).toMatchObject({ phoneNumber: '13811112222' });
    await p.inst.submit();
    expect(p.text()).toContain('请写一句走访情况');
    expect(server.requests.some((r) => r.path === '/households/5/visits')).toBe(false);
    input(p, 'note', '身体还好');
    server.route('POST', '/households/5/visits', envelope(400, 'validation_error', '照片：照片不存在或不是您上传的，请重新上传', { photo_ids: '照片不存在或不是您上传的，请重新上传' }));
    await p.inst.submit();
    await h.idle();
    expect(p.text()).toContain('照片不存在或不是您上传的');
    expect(p.data().note).toBe('身体还好');
    server.route('POST', '/households/5/visits', { status: 201, body: {} });
    server.route('GET', '/households/5', { status: 200, body: card({ visit_count: 1, visits: [{ id: 1, household_id: 5, visitor: '管家 李建国', steward_id: 2, visited_at: '2026-11-23T10:00:00+08:00', note: '身体还好', photos: [], patrol_id: null }] }) });
    await p.inst.submit();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/households/5/visits').pop().data).toEqual({ note: '身体还好', photo_ids: [] });
    expect(p.text()).toContain('走访已登记');
    expect(p.text()).toContain('走访记录（1 次）');
    expect(p.text()).toContain('11月23日 10:00');
    expect(p.data().note).toBe('');
  });
});

describe('steward/patrol/patrol: 走访了哪几户', () => {
  test('no households: no choice, the patrol sends none', async () => {
    server.route('GET', '/me', steward).route('GET', '/patrols', fx.page([])).route('GET', '/households', fx.page([]));
    server.route('POST', '/patrols', { status: 201, body: {} });
    const p = h.page('steward/patrol/patrol');
    await p.inst.onLoad();
    await h.idle();
    expect(p.text()).not.toContain('走访了哪几户');
    await p.inst.submit();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/patrols' && r.method === 'POST').pop().data.household_ids).toBeUndefined();
  });
  test('the list failing still lets the steward check in', async () => {
    server.route('GET', '/me', steward).route('GET', '/patrols', fx.page([])).route('GET', '/households', envelope(500, 'internal_error', '服务器开小差了'));
    const p = h.page('steward/patrol/patrol');
    await p.inst.onLoad();
    await h.idle();
    expect(p.data().state).toBe('ready');
    expect(p.text()).not.toContain('服务器开小差了');
    expect(p.text()).not.toContain('走访了哪几户');
  });
  test('choosing households sends their ids; a refusal is shown and the choice kept', async () => {
    server.route('GET', '/me', steward).route('GET', '/patrols', fx.page([]));
    server.route('GET', '/households', fx.page([household({ id: 5 }), household({ id: 6, head_name: '李奶奶', address: '南门巷 5 号' })]));
    const p = h.page('steward/patrol/patrol');
    await p.inst.onLoad();
    await h.idle();
    expect(p.text()).toContain('走访了哪几户（可选）');
    expect(p.text()).toContain('李奶奶 南门巷 5 号');
    p.inst.onHousehold({ currentTarget: { dataset: { id: 6 } } });
    p.inst.onHousehold({ currentTarget: { dataset: { id: 5 } } });
    p.inst.onHousehold({ currentTarget: { dataset: { id: 5 } } }); // tapped twice: off again
    server.route('POST', '/patrols', envelope(403, 'not_your_household', '巡查只能登记走访自己包联的住户'));
    await p.inst.submit();
    await h.idle();
    expect(p.text()).toContain('巡查只能登记走访自己包联的住户');
    expect(p.data().visited).toEqual({ 5: false, 6: true });
    server.route('POST', '/patrols', { status: 201, body: {} });
    await p.inst.submit();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/patrols' && r.method === 'POST').pop().data).toMatchObject({ alley_id: 9, household_ids: [6] });
    expect(p.text()).toContain('打卡成功！已登记走访 1 户。');
    expect(p.data().visited).toEqual({});
  });
});
