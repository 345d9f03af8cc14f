/** Staff subpackage pages: review, overdue, item actions, stats, ledger, stewards — their states. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => {
  server.reset();
  server.roles = ['resident', 'staff'];
});
const UNITS = fx.page([
  { id: 3, name: '住建办', kind: 'department', kind_label: '部门', phone: '', contact_name: '', area_id: 1, area_name: '城关街道', active: true },
  { id: 4, name: '安居物业', kind: 'property', kind_label: '物业', phone: '', contact_name: '', area_id: 2, area_name: '槐树社区', active: true },
]);
const input = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });
const TREE = { status: 200, body: { items: [{ id: 2, kind: 'community', name: '槐树社区', active: true, children: [
  { id: 9, kind: 'alley', name: '南门巷', active: true, children: [], boards: [], stewards: [{ id: 1, name: '王秀英', phone: '17000000101', active: true, is_leader: true }, { id: 2, name: '李建国', phone: '17000000102', active: true, is_leader: false }] },
  { id: 10, kind: 'alley', name: '槐荫里', active: true, children: [], boards: [], stewards: [{ id: 2, name: '李建国', phone: '17000000102', active: true, is_leader: false }] },
] }] } };

describe('staff/review/review', () => {
  test('loading, empty, error', async () => {
    server.route('GET', '/wishes', fx.page([])).route('GET', '/issues', fx.page([]));
    const p = h.page('staff/review/review');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('没有待审核的心愿');
    p.inst.onTab({ currentTarget: { dataset: { tab: 'held' } } });
    expect(p.text()).toContain('没有待定是否公开的诉求');
    expect(server.requests.find((r) => r.path === '/issues').query).toContain('visibility=held');
    server.route('GET', '/wishes', envelope(403, 'forbidden', '只有社区工作人员可以审核'));
    const q = h.page('staff/review/review');
    await q.inst.onLoad();
    expect(q.text()).toContain('只有社区工作人员可以审核');
  });
  test('approve a wish, reject needs a reason, publish a held item', async () => {
    let pending = [fx.wish({ id: 5, status: 'pending_review' }), fx.wish({ id: 6, title: '想要轮椅', status: 'pending_review' })];
    server.route('GET', '/wishes', () => fx.page(pending)).route('GET', '/issues', fx.page([fx.issue({ visibility: 'held', hold_reason: '含有敏感词' })]));
    server.route('POST', '/wishes/5/approve', () => { pending = pending.filter((w) => w.id !== 5); return { status: 200, body: fx.wish() }; });
    server.route('POST', '/wishes/6/reject', { status: 200, body: fx.wish({ id: 6, status: 'rejected' }) });
    server.route('POST', '/issues/7/moderate', { status: 200, body: fx.issue() });
    const p = h.page('staff/review/review');
    await p.inst.onLoad();
    await p.inst.approve({ currentTarget: { dataset: { id: 5 } } });
    await h.idle();
    expect(p.text()).toContain('已通过，心愿已上心愿墙');
    expect(p.text()).toContain('待审核心愿（1）');
    await p.inst.reject({ currentTarget: { dataset: { id: 6 } } });
    expect(p.text()).toContain('驳回请写明原因');
    p.inst.onReason({ currentTarget: { dataset: { id: 6 } }, detail: { value: '已由民政解决' } });
    await p.inst.reject({ currentTarget: { dataset: { id: 6 } } });
    await h.idle();
    expect(server.requests.find((r) => r.path === '/wishes/6/reject').data).toEqual({ reason: '已由民政解决' });
    p.inst.onTab({ currentTarget: { dataset: { tab: 'held' } } });
    expect(p.text()).toContain('含有敏感词');
    await p.inst.publish({ currentTarget: { dataset: { id: 7 } } });
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues/7/moderate').data).toEqual({ publish: true });
  });
  test('通过 is asked first, and a held wish says why in words, never the machine verdict', async () => {
    server.route('GET', '/wishes', fx.page([fx.wish({ id: 5, status: 'pending_review', check_verdict: 'risky' })])).route('GET', '/issues', fx.page([]));
    server.route('POST', '/wishes/5/approve', { status: 200, body: fx.wish() });
    const p = h.page('staff/review/review');
    await p.inst.onLoad();
    expect(p.text()).toContain('内容检查：微信内容检查认为可能有不宜公开的内容');
    expect(p.text()).not.toContain('risky');
    h.modalAnswers.push(false);
    await p.inst.approve({ currentTarget: { dataset: { id: 5 } } });
    expect(h.callsOf('showModal')[0]).toMatchObject({ title: '确认通过审核？', confirmText: '通过' });
    expect(h.callsOf('showModal')[0].content).toContain('“想要一副老花镜”会马上公开在心愿墙上');
    expect(server.requests.filter((r) => r.path === '/wishes/5/approve')).toHaveLength(0);
  });
});

describe('staff/overdue/overdue', () => {
  test('loading, empty, error, success', async () => {
    server.route('GET', '/issues', fx.page([]));
    const p = h.page('staff/overdue/overdue');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('没有超期的诉求');
    expect(server.requests.find((r) => r.path === '/issues').query).toContain('overdue=true');
    server.route('GET', '/issues', fx.page([fx.issue({ overdue: true })]));
    await p.inst.onPullDownRefresh();
    expect(p.text()).toContain('超期 · 待接单');
    expect(p.text()).toContain('管家：王秀英');
    server.down = true;
    const q = h.page('staff/overdue/overdue');
    await q.inst.onLoad();
    expect(q.text()).toContain('网络不通');
  });
});

describe('staff/issue/issue', () => {
  test('loading then error', async () => {
    server.route('GET', '/issues/7', envelope(404, 'issue_not_found', '找不到该诉求'));
    const p = h.page('staff/issue/issue');
    const done = p.inst.onLoad({ id: '7' });
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('找不到该诉求');
  });
  test('assign with a tier, whistle to a unit with a tier chosen, cancel needs a reason', async () => {
    const it = fx.issue({ actions: ['accept', 'resolve', 'escalate', 'whistle', 'assign', 'comment', 'cancel'] });
    server.route('GET', '/issues/7', { status: 200, body: it }).route('GET', '/areas', TREE).route('GET', '/units', UNITS);
    server.route('POST', '/issues/7/assign', (req) => ({ status: 200, body: { ...it, priority_label: '重要', stewards: [{ id: 2, name: '李建国', phone: '17000000102' }] } }));
    const whistled = { ...it, status: 'whistled', status_label: '已吹哨', priority: 'important', priority_label: '重要', deadline: '2026-11-25T08:30:00+08:00', department: { id: 3, name: '住建办' }, actions: ['assign', 'comment', 'cancel', 'urge'] };
    server.route('POST', '/issues/7/whistle', { status: 200, body: whistled });
    const p = h.page('staff/issue/issue');
    await p.inst.onLoad({ id: '7' });
    expect(p.text()).toContain('李建国');
    // 吹哨报到 is folded to its heading until opened
    expect(p.text()).toContain('吹哨报到（交承办单位办理）');
    expect(p.text()).not.toContain('住建办（部门）');
    p.inst.onFold({ currentTarget: { dataset: { key: 'whistle' } } });
    expect(p.text()).toContain('住建办（部门）');
    expect(p.text()).toContain('安居物业（物业）');
    expect(p.text()).not.toContain('催办（');
    p.inst.onPick({ currentTarget: { dataset: { id: 1 } } });
    p.inst.onPick({ currentTarget: { dataset: { id: 2 } } });
    p.inst.onPriority({ currentTarget: { dataset: { value: 'important' } } });
    await p.inst.assign();
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues/7/assign').data).toEqual({ steward_ids: [2], priority: 'important', note: null });
    expect(p.text()).toContain('已派单');
    await p.inst.whistle();
    expect(p.text()).toContain('请选择承办单位');
    p.inst.onUnit({ currentTarget: { dataset: { id: 3 } } });
    input(p, 'note', '外墙脱落需鉴定');
    // the tier is never taken from the item or a default: the form asks for it
    await p.inst.whistle();
    expect(p.text()).toContain('请选择紧急程度：一般、重要或重大');
    expect(server.requests.find((r) => r.path === '/issues/7/whistle')).toBeUndefined();
    p.inst.onTier({ currentTarget: { dataset: { value: 'important' } } });
    await p.inst.whistle();
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues/7/whistle').data).toEqual({ unit_id: 3, tier: 'important', note: '外墙脱落需鉴定' });
    expect(p.text()).toContain('已吹哨给住建办（重要），办理期限 11月25日 08:30');
    expect(p.data().tier).toBe('');
    expect(p.text()).toContain('催办（住建办）');
    await p.inst.cancel();
    expect(p.text()).toContain('撤销请写明原因');
  });
  test('a whistle the server refuses shows its message and keeps the choice', async () => {
    const it = fx.issue({ status: 'escalated', actions: ['whistle', 'assign', 'comment', 'cancel'] });
    server.route('GET', '/issues/7', { status: 200, body: it }).route('GET', '/areas', TREE).route('GET', '/units', UNITS);
    server.route('POST', '/issues/7/whistle', envelope(400, 'bad_request', '请选择本街道的承办单位', { unit_id: '单位不存在或已停用' }));
    const p = h.page('staff/issue/issue');
    await p.inst.onLoad({ id: '7' });
    p.inst.onUnit({ currentTarget: { dataset: { id: 4 } } });
    p.inst.onTier({ currentTarget: { dataset: { value: 'major' } } });
    input(p, 'note', '门禁坏了');
    await p.inst.whistle();
    await h.idle();
    expect(p.text()).toContain('请选择本街道的承办单位');
    expect(p.data()).toMatchObject({ unitId: 4, tier: 'major', note: '门禁坏了' });
  });
  test('no units registered: the staff member is told where to add them', async () => {
    server.route('GET', '/issues/7', { status: 200, body: fx.issue({ actions: ['whistle'] }) }).route('GET', '/areas', TREE).route('GET', '/units', fx.page([]));
    const p = h.page('staff/issue/issue');
    await p.inst.onLoad({ id: '7' });
    p.inst.onFold({ currentTarget: { dataset: { key: 'whistle' } } });
    expect(p.text()).toContain('还没有登记承办单位');
  });
  test('urge the unit holding the item: needs a text; success; a 409 reloads the item', async () => {
    let it = fx.issue({ status: 'whistled', status_label: '已吹哨', department: { id: 3, name: '住建办' }, actions: ['assign', 'comment', 'cancel', 'urge'] });
    server.route('GET', '/issues/7', () => ({ status: 200, body: it })).route('GET', '/areas', TREE).route('GET', '/units', UNITS);
    server.route('POST', '/issues/7/urge', { status: 200, body: it });
    const p = h.page('staff/issue/issue');
    await p.inst.onLoad({ id: '7' });
    expect(p.text()).not.toContain('吹哨报到（');
    await p.inst.urge();
    expect(p.text()).toContain('请写明催办内容');
    input(p, 'note', '居民又来问了');
    await p.inst.urge();
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues/7/urge').data).toEqual({ note: '居民又来问了' });
    expect(p.text()).toContain('已催办');
    // meanwhile the unit closed it: the refusal is shown and the button goes
    it = { ...it, status: 'resolved', status_label: '已办结', actions: ['comment'] };
    server.route('POST', '/issues/7/urge', envelope(409, 'invalid_transition', '只能催办已吹哨、仍在单位办理中的诉求'));
    input(p, 'note', '再催一次');
    await p.inst.urge();
    await h.idle();
    expect(p.text()).toContain('只能催办已吹哨、仍在单位办理中的诉求');
    expect(p.data().actions.urge).toBeUndefined();
    expect(p.text()).not.toContain('催办（住建办）');
  });
  test('督办 an item a unit holds: asked once more, the note optional; then the button goes', async () => {
    let it = fx.issue({ status: 'whistled', status_label: '已吹哨', department: { id: 3, name: '住建办' }, actions: ['comment', 'urge', 'supervise'] });
    server.route('GET', '/issues/7', () => ({ status: 200, body: it })).route('GET', '/areas', TREE).route('GET', '/units', UNITS);
    server.route('POST', '/issues/7/supervise', () => {
      it = { ...it, actions: ['comment', 'urge'] };
      return { status: 200, body: it };
    });
    const p = h.page('staff/issue/issue');
    await p.inst.onLoad({ id: '7' });
    expect(p.text()).not.toContain('提请街道领导督办');
    p.inst.onFold({ currentTarget: { dataset: { key: 'supervise' } } });
    expect(p.text()).toContain('提请街道督办');
    await p.inst.supervise();
    await h.idle();
    expect(h.callsOf('showModal').pop().title).toBe('提请街道督办');
    expect(server.requests.find((r) => r.path === '/issues/7/supervise').data).toEqual({});
    expect(p.text()).toContain('已提请街道督办');
    expect(p.data().actions.supervise).toBeUndefined();
    // a second 督办 is refused by the server: the reason is shown
    it = { ...it, actions: ['comment', 'urge', 'supervise'] };
    server.route('POST', '/issues/7/supervise', envelope(409, 'already_supervised', '该诉求已提请督办'));
    await p.inst.onLoad({ id: '7' });
    input(p, 'note', '超期五天');
    await p.inst.supervise();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/issues/7/supervise').pop().data).toEqual({ note: '超期五天' });
    expect(p.text()).toContain('该诉求已提请督办');
  });
});

describe('staff/stats/stats', () => {
  const stats = (over = {}) => ({ status: 200, body: {
    area_id: 2, area_name: '槐树社区', date_from: '2026-11-01', date_to: '2026-11-22', rectification_rate: 0.75,
    counts: { new: 2, accepted: 2, resolved: 2, rated: 2, open: 0, overdue: 0, responded: 1, answerable: 2, solved: 2, counted: 2, answered: 2, confirmed_solved: 2, satisfied: 1, callbacks_done: 0, response_rate: 0.5, handled_rate: 1, resolution_rate: 1, satisfaction_rate: 0.5 },
    by_category: [{ category: '环境卫生', new: 2, accepted: 2, resolved: 2, rated: 2, responded: 1, answerable: 2, solved: 2, counted: 2, answered: 2, confirmed_solved: 2, satisfied: 1, callbacks_done: 0, response_rate: 0.5, handled_rate: 1, resolution_rate: 1, satisfaction_rate: 0.5 }],
    by_steward: [], wishes: { new: 1, published: 1, claimed: 0, fulfilled: 0 }, ...over } });
  test('loading, success with the 三率 and their counts, empty period, error', async () => {
    server.route('GET', '/stats', stats());
    const p = h.page('staff/stats/stats');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在统计');
    await done;
    expect(p.text()).toContain('满意率 50%（1/2）');
    expect(p.text()).toContain('响应率 50%（1/2）');
    expect(p.text()).toContain('解决率 100%（2/2）');
    expect(p.text()).toContain('办结率 100%（2/2）');
    expect(p.text()).toContain('整改率 75%');
    expect(p.text()).toContain('4–5 星的评价');
    server.route('GET', '/stats', stats({ by_category: [], counts: { new: 0, accepted: 0, resolved: 0, rated: 0, open: 0, overdue: 0, responded: 0, answerable: 0, solved: 0, counted: 0, answered: 0, confirmed_solved: 0, satisfied: 0, callbacks_done: 0, response_rate: null, handled_rate: null, resolution_rate: null, satisfaction_rate: null } }));
    await p.inst.onPeriod({ currentTarget: { dataset: { key: 'last_month' } } });
    expect(p.text()).toContain('满意率 —（0/0）');
    expect(p.text()).toContain('这段时间没有诉求');
    server.route('GET', '/stats', envelope(400, 'validation_error', '请检查填写的内容：起始日期不能晚于结束日期'));
    await p.inst.onFrom({ detail: { value: '2026-12-31' } });
    expect(p.text()).toContain('起始日期不能晚于结束日期');
  });
  test('a street admin picks one of its communities', async () => {
    server.route('GET', '/areas', { status: 200, body: { items: [{ id: 1, kind: 'street', name: '城关街道', active: true, children: [
      { id: 2, kind: 'community', name: '槐树社区', active: true, children: [] }, { id: 3, kind: 'community', name: '清河社区', active: true, children: [] }] }] } });
    server.route('GET', '/stats', stats());
    const p = h.page('staff/stats/stats');
    await p.inst.onLoad();
    expect(p.text()).toContain('清河社区');
    await p.inst.onArea({ currentTarget: { dataset: { id: 3 } } });
    expect(server.requests.filter((r) => r.path === '/stats').pop().query).toContain('area_id=3');
  });
});

describe('staff/ledger/ledger', () => {
  test('download and open; a refused download shows the message', async () => {
    server.route('GET', '/ledger.xlsx', { status: 200, body: null, file: '/tmp/ledger.xlsx' });
    const p = h.page('staff/ledger/ledger');
    p.inst.onLoad();
    const done = p.inst.download();
    expect(p.text()).toContain('正在下载');
    await done;
    await h.idle();
    expect(h.callsOf('openDocument')[0]).toMatchObject({ filePath: '/tmp/ledger.xlsx', fileType: 'xlsx' });
    expect(p.text()).toContain('台账已打开');
    const fs = require('fs');
    fs.writeFileSync('/tmp/mp-ledger-403.json', JSON.stringify({ error: { code: 'forbidden', message: '只有工作人员可以导出台账' } }));
    server.route('GET', '/ledger.xlsx', { status: 403, file: '/tmp/mp-ledger-403.json' });
    await p.inst.download();
    await h.idle();
    expect(p.text()).toContain('只有工作人员可以导出台账');
  });
});

describe('staff/stewards/stewards', () => {
  test('loading, error, bind code shown large and copyable, dismiss needs a reason', async () => {
    server.route('GET', '/areas', envelope(403, 'forbidden', '无权限'));
    const e = h.page('staff/stewards/stewards');
    const done = e.inst.onLoad();
    expect(e.text()).toContain('正在加载');
    await done;
    expect(e.text()).toContain('无权限');

    server.route('GET', '/areas', TREE);
    server.route('POST', '/bind-codes', { status: 201, body: { code: 'K7MDW26W', expires_at: '2026-11-25T08:30:00+08:00' } });
    server.route('POST', '/stewards/2/dismiss', { status: 200, body: { id: 2, name: '李建国', active: false, dismissed_at: '', open_issues: 3 } });
    const p = h.page('staff/stewards/stewards');
    await p.inst.onLoad();
    expect(p.text()).toContain('南门巷、槐荫里');
    await p.inst.issueCode({ currentTarget: { dataset: { id: 2 } } });
    await h.idle();
    expect(p.text()).toContain('K7MDW26W');
    p.inst.copy({ currentTarget: { dataset: { code: 'K7MDW26W' } } });
    expect(h.callsOf('setClipboardData')[0].data).toBe('K7MDW26W');
    // 离任 waits behind 办理离任… (no reason box or red button on every card)
    expect(p.text()).toContain('办理离任…');
    expect(p.text()).not.toContain('离任后权限立即停止');
    p.inst.onLeaving({ currentTarget: { dataset: { id: 2 } } });
    expect(p.text()).toContain('离任后权限立即停止');
    await p.inst.dismiss({ currentTarget: { dataset: { id: 2 } } });
    expect(p.text()).toContain('离任请写明原因');
    p.inst.onReason({ currentTarget: { dataset: { id: 2 } }, detail: { value: '搬家' } });
    await p.inst.dismiss({ currentTarget: { dataset: { id: 2 } } });
    await h.idle();
    expect(p.text()).toContain('还有 3 件未办结的诉求需要改派');
  });
});

describe('utils/period', () => {
  const period = require('../../../miniprogram/utils/period');
  // 2026-12-02T17:30Z is 01:30 on 3 December in Asia/Shanghai: the day the server counts in.
  const lateUtc = new Date('2026-12-02T17:30:00Z');

  test('periods end on the Asia/Shanghai date, whatever the device zone', () => {
    expect(period.range('year', lateUtc)).toEqual({ date_from: '2026-01-01', date_to: '2026-12-03' });
    expect(period.range('month', lateUtc)).toEqual({ date_from: '2026-12-01', date_to: '2026-12-03' });
    expect(period.range('week', lateUtc)).toEqual({ date_from: '2026-11-27', date_to: '2026-12-03' });
    expect(period.range('last_month', lateUtc)).toEqual({ date_from: '2026-11-01', date_to: '2026-11-30' });
  });

  test('month and year boundaries roll over in Asia/Shanghai', () => {
    // 31 Dec 16:05 UTC is already New Year's Day in Shanghai.
    const newYear = new Date('2026-12-31T16:05:00Z');
    expect(period.range('year', newYear)).toEqual({ date_from: '2027-01-01', date_to: '2027-01-01' });
    expect(period.range('last_month', newYear)).toEqual({ date_from: '2026-12-01', date_to: '2026-12-31' });
    expect(period.range('week', newYear)).toEqual({ date_from: '2026-12-26', date_to: '2027-01-01' });
    // 1 March: last month is February of a non-leap year.
    expect(period.range('last_month', new Date('2027-03-01T02:00:00Z'))).toEqual({ date_from: '2027-02-01', date_to: '2027-02-28' });
  });
});

describe('staff/callbacks/callbacks', () => {
  const item = (over = {}) => ({
    id: 7, number: 'S2612010002', community: { id: 2, name: '槐树社区' }, alley: { id: 9, name: '南门巷' },
    category: '环境卫生', content: '楼道堆了旧家具', status: 'resolved', status_label: '已办结',
    resolved_at: '2026-12-01T20:30:00+08:00', resolved_by: '刘志强', resolution_note: '已清空',
    contact_phone: '17000001234', anonymous: false, waiting_days: 5, attempts: 0, last_attempt_at: null, last_attempt_by: null, ...over,
  });
  const progress = { community_id: 2, name: '槐树社区', closed: 3, heard: 1, rated: 0, callbacks_done: 1, target: 3, needed: 2, met: false,
    rule: { min_percent: 100, min_per_steward: 0, source: 'default' }, stewards_short: [], waiting: 1 };
  const list = (items) => ({ status: 200, body: { items, total: items.length, page: 1, per_page: 50, after_days: 3, progress: [progress] } });
  test('the list with the phone and progress, a result is required, 不满意 offers to reopen', async () => {
    let items = [item(), item({ id: 8, number: 'S2612010003', contact_phone: null, attempts: 2 })];
    server.route('GET', '/callbacks', () => list(items));
    server.route('POST', '/issues/7/callback', () => { items = items.filter((i) => i.id !== 7); return { status: 201, body: {} }; });
    server.route('POST', '/issues/7/reopen', { status: 200, body: fx.issue({ id: 7 }) });
    const p = h.page('staff/callbacks/callbacks');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('拨打 17000001234');
    expect(p.text()).toContain('居民未留电话');
    expect(p.text()).toContain('已拨 2 次未接通');
    expect(p.text()).toContain('槐树社区 本月回访');
    expect(p.text()).toContain('还差 2 件');
    p.inst.onCall({ currentTarget: { dataset: { phone: '17000001234' } } });
    expect(h.callsOf('makePhoneCall')[0].phoneNumber).toBe('17000001234');
    await p.inst.record({ currentTarget: { dataset: { id: 7 } } });
    expect(p.text()).toContain('请先选择回访结果');
    expect(server.requests.find((r) => r.path === '/issues/7/callback')).toBeUndefined();
    p.inst.onPick({ currentTarget: { dataset: { id: 7 } }, detail: { value: '2' } });
    expect(p.text()).toContain('不满意');
    p.inst.onNote({ currentTarget: { dataset: { id: 7 } }, detail: { value: '灯还是不亮' } });
    await p.inst.record({ currentTarget: { dataset: { id: 7 } } });
    await h.idle();
    expect(server.requests.find((r) => r.path === '/issues/7/callback').data).toEqual({ result: 'unsatisfied', note: '灯还是不亮' });
    expect(p.text()).toContain('已记录回访：不满意');
    expect(p.text()).toContain('居民对 S2612010002 不满意');
    expect(p.text()).not.toContain('拨打 17000001234');
    await p.inst.reopen();
    expect(server.requests.find((r) => r.path === '/issues/7/reopen').data).toEqual({ note: '灯还是不亮' });
    expect(p.text()).toContain('已重新打开 S2612010002');
  });
  test('a refusal is shown on the page', async () => {
    server.route('GET', '/callbacks', list([item()]));
    server.route('POST', '/issues/7/callback', envelope(409, 'already_called_back', '该诉求本轮已回访：满意（liu，12月4日 10:00），不能重复记录'));
    const p = h.page('staff/callbacks/callbacks');
    await p.inst.onLoad();
    p.inst.onPick({ currentTarget: { dataset: { id: 7 } }, detail: { value: '0' } });
    await p.inst.record({ currentTarget: { dataset: { id: 7 } } });
    await h.idle();
    expect(p.text()).toContain('不能重复记录');
  });
});
