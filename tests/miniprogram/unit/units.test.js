/**
 * Handling units (承办单位) in the mini program: 本单位待办 and 单位办理 for a unit's member —
 * loading, empty, error, each action's success and refusal — and how a member gets there
 * (我的's 单位工作台, the bind page naming the unit).
 */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => {
  server.reset();
  server.roles = ['resident', 'unit'];
});
/** Let timers run until `cond` holds (a poll of the event loop, no fixed delay). */
async function until(cond) {
  for (let i = 0; i < 1000 && !cond(); i += 1) await new Promise((r) => setTimeout(r, 0));
  expect(cond()).toBe(true);
}
const input = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });
const UNITS = fx.page([{ id: 4, name: '安居物业', kind: 'property', kind_label: '物业', phone: '', contact_name: '', area_id: 2, area_name: '槐树社区', active: true }]);
const UNIT_ACTIONS = ['progress', 'extension', 'return', 'resolve'];
/** An item whistled to the unit, as its member reads it. */
const whistled = (over = {}) => fx.issue({
  status: 'whistled', status_label: '已吹哨', priority: 'important', priority_label: '重要', stewards: [],
  department: { id: 4, name: '安居物业' }, contact_phone: '13912345678', actions: [...UNIT_ACTIONS, 'check-in'], ...over,
});

describe('unit/todo/todo', () => {
  test('loading, then empty, naming the unit', async () => {
    server.route('GET', '/units', UNITS).route('GET', '/issues', fx.page([]));
    const p = h.page('unit/todo/todo');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载本单位待办');
    await done;
    expect(p.text()).toContain('安居物业（物业）');
    expect(p.text()).toContain('本单位暂无待办');
    expect(server.requests.find((r) => r.path === '/issues').query).toBe('scope=unit&status=open&per_page=100');
  });
  test('error shows the server message', async () => {
    server.route('GET', '/units', UNITS).route('GET', '/issues', envelope(403, 'forbidden', '只有承办单位成员可以查看本单位待办'));
    const p = h.page('unit/todo/todo');
    await p.inst.onLoad();
    expect(p.data().state).toBe('error');
    expect(p.text()).toContain('只有承办单位成员可以查看本单位待办');
  });
  test('overdue first, then by deadline, with state, tier and deadline; tap opens the item; pull to refresh', async () => {
    server.route('GET', '/units', UNITS).route('GET', '/issues', fx.page([
      whistled({ id: 1, content: '晚的', deadline: '2026-11-30T08:00:00+08:00', priority_label: '重大', actions: UNIT_ACTIONS }),
      whistled({ id: 2, content: '早的', deadline: '2026-11-25T08:00:00+08:00', priority_label: '一般' }),
      whistled({ id: 3, content: '超期的', deadline: '2026-11-28T08:00:00+08:00', overdue: true, actions: UNIT_ACTIONS }),
    ]));
    const p = h.page('unit/todo/todo');
    await p.inst.onLoad();
    expect(p.data().items.map((i) => i.id)).toEqual([3, 2, 1]);
    expect(p.data().items.map((i) => i.stateText)).toEqual(['已报到', '待报到', '已报到']);
    expect(p.text()).toContain('共 3 件待办，1 件待报到，1 件已超期');
    expect(p.text()).toContain('紧急程度 一般 · 期限 11月25日 08:00');
    expect(p.text()).toContain('紧急程度 重大 · 期限 11月30日 08:00');
    p.inst.onOpen({ currentTarget: { dataset: { id: 2 } } });
    expect(h.callsOf('navigateTo').pop().url).toBe('/unit/issue/issue?id=2');
    server.route('GET', '/issues', fx.page([]));
    await p.inst.onPullDownRefresh();
    expect(h.callsOf('stopPullDownRefresh')).toHaveLength(1);
    expect(p.text()).toContain('本单位暂无待办');
  });
});

describe('unit/issue/issue', () => {
  test('loading then error', async () => {
    server.route('GET', '/issues/7', envelope(404, 'issue_not_found', '找不到该诉求'));
    const p = h.page('unit/issue/issue');
    const done = p.inst.onLoad({ id: '7' });
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('找不到该诉求');
  });
  test('buttons only for the actions the item allows', async () => {
    server.route('GET', '/issues/7', { status: 200, body: whistled({ actions: ['comment'] }) });
    const p = h.page('unit/issue/issue');
    await p.inst.onLoad({ id: '7' });
    const text = p.text();
    for (const label of ['报到', '报告进展', '办结', '申请延期', '退回社区']) expect(text).not.toContain(label);
    expect(text).toContain('139 1234 5678'); // the resident's phone, for the unit that handles it
    expect(text).toContain('承办单位：安居物业');
  });
  test('报到: success hides the button; a colleague first (409) shows why and reloads', async () => {
    let item = whistled();
    server.route('GET', '/issues/7', () => ({ status: 200, body: item }));
    server.route('POST', '/issues/7/check-in', () => { item = whistled({ actions: UNIT_ACTIONS }); return { status: 200, body: item }; });
    const p = h.page('unit/issue/issue');
    await p.inst.onLoad({ id: '7' });
    expect(p.text()).toContain('请先报到');
    await p.inst.checkIn();
    await h.idle();
    expect(p.text()).toContain('已报到，请按期限办理');
    expect(p.data().actions['check-in']).toBeUndefined();
    expect(p.text()).not.toContain('请先报到');

    item = whistled();
    const q = h.page('unit/issue/issue');
    await q.inst.onLoad({ id: '7' });
    item = whistled({ actions: UNIT_ACTIONS });
    server.route('POST', '/issues/7/check-in', envelope(409, 'already_checked_in', '安居物业已于 11月23日 11:00 报到，无需重复报到'));
    await q.inst.checkIn();
    await h.idle();
    expect(q.text()).toContain('已于 11月23日 11:00 报到，无需重复报到');
    expect(q.data().actions['check-in']).toBeUndefined();
  });
  test('进展 needs a note; goes with the uploaded photos; a refused photo shows the field message', async () => {
    server.route('GET', '/issues/7', { status: 200, body: whistled({ actions: UNIT_ACTIONS }) });
    const p = h.page('unit/issue/issue');
    await p.inst.onLoad({ id: '7' });
    await p.inst.progress();
    expect(p.text()).toContain('请先写进展说明');
    expect(server.requests.find((r) => r.path === '/issues/7/progress')).toBeUndefined();
    input(p, 'note', '已到现场勘察，明天换门禁');
    h.mediaQueue.push(['/tmp/site.jpg']);
    p.comp.querySelector('#photos').instance.choose();
    await h.idle();
    const photoId = p.data().photoIds[0];
    expect(photoId).toBeGreaterThan(0);
    server.route('POST', '/issues/7/progress', envelope(400, 'validation_error', '只能使用您本人上传的照片', { photo_ids: '照片不存在或不是您上传的' }));
    await p.inst.progress();
    await h.idle();
    expect(p.text()).toContain('只能使用您本人上传的照片');
    expect(p.data().note).toBe('已到现场勘察，明天换门禁');
    server.route('POST', '/issues/7/progress', (req) => ({ status: 200, body: whistled({ actions: UNIT_ACTIONS, timeline: [{ action: 'progress', actor: '安居物业 周经理', at: '2026-11-23T10:00:00+08:00', label: '进展', note: req.data.note, photos: [] }] }) }));
    await p.inst.progress();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/issues/7/progress').pop().data).toEqual({ note: '已到现场勘察，明天换门禁', photo_ids: [photoId] });
    expect(p.text()).toContain('进展已记录');
    expect(p.text()).toContain('安居物业 周经理');
    expect(p.data()).toMatchObject({ note: '', photoIds: [] });
  });
  test('办结 waits while a photo is still uploading, then goes with it', async () => {
    server.route('GET', '/issues/7', { status: 200, body: whistled({ actions: UNIT_ACTIONS }) });
    server.route('POST', '/issues/7/resolve', { status: 200, body: whistled({ status: 'resolved', status_label: '已办结', actions: [] }) });
    server.route('POST', '/media', 'hold');
    const p = h.page('unit/issue/issue');
    await p.inst.onLoad({ id: '7' });
    input(p, 'note', '门禁已更换');
    h.mediaQueue.push(['/tmp/done.jpg']);
    p.comp.querySelector('#photos').instance.choose();
    await until(() => server.held.length === 1); // the upload reached the server and waits there
    await p.inst.resolve();
    expect(p.text()).toContain('照片还在上传，请稍等');
    expect(server.requests.find((r) => r.path === '/issues/7/resolve')).toBeUndefined();
    server.held.shift().success({ statusCode: 201, data: JSON.stringify({ id: 55, url: '/media/a.jpg', thumb_url: '/media/a-t.jpg' }), header: {} });
    await h.idle();
    await p.inst.resolve();
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues/7/resolve').data).toEqual({ note: '门禁已更换', photo_ids: [55] });
    expect(p.text()).toContain('已办结，等待居民评价');
  });
  test('办结: success shows the result; two at once, the loser gets the 409 and the item reloads', async () => {
    let item = whistled({ actions: UNIT_ACTIONS });
    server.route('GET', '/issues/7', () => ({ status: 200, body: item }));
    server.route('POST', '/issues/7/resolve', (req) => ({ status: 200, body: whistled({ status: 'resolved', status_label: '已办结', resolution_note: req.data.note, resolution_level: '联合处置', actions: [] }) }));
    const p = h.page('unit/issue/issue');
    await p.inst.onLoad({ id: '7' });
    await p.inst.resolve();
    expect(p.text()).toContain('请先写办理结果');
    input(p, 'note', '门禁已更换');
    await p.inst.resolve();
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues/7/resolve').data).toEqual({ note: '门禁已更换', photo_ids: [] });
    expect(p.text()).toContain('已办结，等待居民评价');
    expect(p.text()).toContain('办理结果（联合处置）');
    expect(p.text()).not.toContain('报告进展');

    const q = h.page('unit/issue/issue');
    await q.inst.onLoad({ id: '7' });
    item = whistled({ status: 'resolved', status_label: '已办结', resolution_note: '同事先办结了', actions: [] });
    server.route('POST', '/issues/7/resolve', envelope(409, 'invalid_transition', '该诉求当前为“已办结”，已不在本单位办理中'));
    input(q, 'note', '也修好了');
    await q.inst.resolve();
    await h.idle();
    expect(q.text()).toContain('已不在本单位办理中');
    expect(q.text()).toContain('同事先办结了');
    expect(q.data().actions.resolve).toBeUndefined();
  });
  test('申请延期: days and reason checked before sending; too long (400) shows the field message; success', async () => {
    server.route('GET', '/issues/7', { status: 200, body: whistled({ actions: UNIT_ACTIONS }) });
    const p = h.page('unit/issue/issue');
    await p.inst.onLoad({ id: '7' });
    await p.inst.requestExtension();
    expect(p.text()).toContain('请填写要延期的天数');
    input(p, 'days', '2.5');
    await p.inst.requestExtension();
    expect(p.text()).toContain('请填写要延期的天数');
    input(p, 'days', '30');
    await p.inst.requestExtension();
    expect(p.text()).toContain('请写明延期原因');
    expect(server.requests.find((r) => r.path === '/issues/7/extension')).toBeUndefined();
    input(p, 'extensionReason', '需要招标采购');
    server.route('POST', '/issues/7/extension', envelope(400, 'validation_error', '延期天数须为 1 到 10 天', { days: '1 到 10 天' }));
    await p.inst.requestExtension();
    await h.idle();
    expect(p.text()).toContain('延期天数须为 1 到 10 天');
    expect(p.data()).toMatchObject({ days: '30', extensionReason: '需要招标采购' });
    server.route('POST', '/issues/7/extension', { status: 200, body: whistled({ actions: UNIT_ACTIONS }) });
    input(p, 'days', '5');
    await p.inst.requestExtension();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/issues/7/extension').pop().data).toEqual({ days: 5, reason: '需要招标采购' });
    expect(p.text()).toContain('已申请延期 5 天，等待社区审批');
    expect(p.data()).toMatchObject({ days: '', extensionReason: '' });
    server.route('POST', '/issues/7/extension', envelope(409, 'extension_pending', '已有延期申请等待社区审批'));
    input(p, 'days', '2');
    input(p, 'extensionReason', '再等等');
    await p.inst.requestExtension();
    await h.idle();
    expect(p.text()).toContain('已有延期申请等待社区审批');
  });
  test('退回 needs a reason; success leaves no unit buttons; a network failure keeps the text', async () => {
    server.route('GET', '/issues/7', { status: 200, body: whistled({ actions: UNIT_ACTIONS }) });
    const p = h.page('unit/issue/issue');
    await p.inst.onLoad({ id: '7' });
    await p.inst.returnToCommunity();
    expect(p.text()).toContain('退回请写明原因');
    input(p, 'returnReason', '属于住建办职责');
    server.down = true;
    await p.inst.returnToCommunity();
    await h.idle();
    expect(p.text()).toContain('网络不通');
    expect(p.data().returnReason).toBe('属于住建办职责');
    server.down = false;
    server.route('POST', '/issues/7/return', { status: 200, body: fx.issue({ status: 'escalated', status_label: '已上报社区', actions: [] }) });
    await p.inst.returnToCommunity();
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues/7/return').data).toEqual({ reason: '属于住建办职责' });
    expect(p.text()).toContain('已退回社区');
    expect(p.text()).not.toContain('不属于本单位办理');
    expect(p.data().actions).toEqual({});
  });
});

describe('how a unit member gets there', () => {
  test('工作台 shows 单位工作台 to a unit member, which opens 本单位待办', async () => {
    server.route('GET', '/me', fx.me({ roles: ['resident', 'unit'] })).route('GET', '/me/workbench', { status: 200, body: { todo: 1, review: null, overdue: null } });
    const p = h.page('pages/work/work');
    await p.inst.onLoad();
    await h.idle();
    expect(p.text()).toContain('单位工作台');
    expect(p.text()).not.toContain('社区工作台');
    p.inst.onGo({ currentTarget: { dataset: { url: '/unit/todo/todo' } } });
    expect(h.callsOf('navigateTo').pop().url).toBe('/unit/todo/todo');
  });
  test('a resident sees no 单位工作台', async () => {
    server.route('GET', '/me', fx.me()).route('GET', '/issues', fx.page([])).route('GET', '/wishes', fx.page([]));
    const p = h.page('pages/mine/mine');
    await p.inst.onLoad();
    await h.idle();
    expect(p.text()).not.toContain('单位工作台');
  });
  test('binding as a unit member names the unit and offers 本单位待办', async () => {
    server.route('POST', '/auth/bind', { status: 200, body: { role: 'unit', area: { id: 2, kind: 'community', name: '槐树社区', path_label: '城关街道 / 槐树社区' } } });
    server.route('GET', '/me', fx.me({ roles: ['resident', 'unit'] })).route('GET', '/units', UNITS);
    const p = h.page('pages/bind/bind');
    p.inst.onInput({ detail: { value: 'ABCD2345' } });
    await p.inst.submit();
    await h.idle();
    expect(p.text()).toContain('绑定成功！您现在是承办单位成员（安居物业）');
    p.inst.onUnitTodo();
    expect(h.callsOf('redirectTo').pop().url).toBe('/unit/todo/todo');
  });
});
