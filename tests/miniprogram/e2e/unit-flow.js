/**
 * e2e, against the real Flask app: a resident reports; staff whistle it to the demo's property
 * company 安居物业 with a tier they must pick (the form refuses without one), and urge it;
 * staff issue a bind code for the company's account and a new phone redeems it; that member
 * finds the item in 本单位待办 (via the 工作台 tab), checks in (a second 报到 gets the server's 409),
 * posts progress with a photo, is refused too long an extension, and resolves it. Staff and
 * the resident then read the item closed, with the unit named on its trail: by its people for
 * staff, by roles and the unit's name for the resident.
 */
const h = require('../harness');
const real = require('./real');

real.use();
const type = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });

test('whistled by staff → a bound unit member checks in, posts progress with a photo and resolves', async () => {
  real.as('dev:居民郑八');
  const report = h.page('pages/report/report');
  report.inst.onLoad({ code: real.boards()['打铁巷'] });
  report.inst.onCategory({ currentTarget: { dataset: { value: '设施损坏' } } });
  type(report, 'content', '打铁巷 7 号楼单元门禁坏了，老人进不了门');
  await h.idle();
  await report.inst.submit();
  await h.idle();
  const item = report.data().created;
  expect(item.id).toBeGreaterThan(0);

  // Staff whistle it to the property company: the tier is asked for, never assumed.
  real.as('dev:huaishu');
  const staff = h.page('staff/issue/issue');
  await staff.inst.onLoad({ id: String(item.id) });
  await h.idle();
  staff.inst.onFold({ currentTarget: { dataset: { key: 'whistle' } } });
  expect(staff.text()).toContain('安居物业（物业）');
  const anju = staff.data().units.find((u) => u.name === '安居物业');
  staff.inst.onUnit({ currentTarget: { dataset: { id: anju.id } } });
  type(staff, 'note', '请物业尽快修好门禁');
  await staff.inst.whistle();
  expect(staff.text()).toContain('请选择紧急程度：一般、重要或重大');
  staff.inst.onTier({ currentTarget: { dataset: { value: 'important' } } });
  await staff.inst.whistle();
  await h.idle();
  expect(staff.text()).toContain('已吹哨给安居物业（重要），办理期限');
  expect(staff.data().issue).toMatchObject({ status: 'whistled', priority: 'important', department: { id: anju.id } });
  expect(staff.data().actions.urge).toBe(true);
  type(staff, 'note', '居民着急，请今天上门');
  await staff.inst.urge();
  await h.idle();
  expect(staff.text()).toContain('已催办');

  // The company's account gets a bind code; a new phone redeems it.
  const codes = h.page('staff/stewards/stewards');
  await codes.inst.onLoad();
  await h.idle();
  codes.inst.onUsername({ detail: { value: 'anju' } });
  await codes.inst.issueStaffCode();
  await h.idle();
  const bindCode = codes.data().staffCode.code;

  real.as('dev:物业小周');
  const bind = h.page('pages/bind/bind');
  bind.inst.onInput({ detail: { value: bindCode } });
  await bind.inst.submit();
  await h.idle();
  expect(bind.text()).toContain('绑定成功！您现在是承办单位成员（安居物业）');
  const mine = h.page('pages/mine/mine');
  await mine.inst.onLoad();
  await h.idle();
  expect(mine.text()).toContain('去工作台'); // bound now: no 绑定 offered again
  expect(mine.text()).not.toContain('绑定（');
  const bench = h.page('pages/work/work'); // the 工作台 tab, its badge from the real server
  await bench.inst.onLoad();
  await h.idle();
  expect(bench.text()).toContain('单位工作台');
  expect(bench.text()).toMatch(/本单位待办（[1-9]\d* 件）/);

  const todo = h.page('unit/todo/todo');
  await todo.inst.onLoad();
  await h.idle();
  const row = todo.data().items.find((i) => i.id === item.id);
  expect(row).toMatchObject({ stateText: '待报到', priority_label: '重要' });
  expect(todo.text()).toContain('打铁巷 7 号楼单元门禁坏了');
  todo.inst.onOpen({ currentTarget: { dataset: { id: item.id } } });
  expect(h.callsOf('navigateTo').pop().url).toBe(`/unit/issue/issue?id=${item.id}`);

  const work = h.page('unit/issue/issue');
  await work.inst.onLoad({ id: String(item.id) });
  await h.idle();
  await work.inst.checkIn();
  await h.idle();
  expect(work.text()).toContain('已报到，请按期限办理');
  expect(work.data().actions['check-in']).toBeUndefined();
  await work.inst.checkIn(); // a second tap (an old screen): the server's own 409
  await h.idle();
  expect(work.text()).toContain('无需重复报到');

  type(work, 'note', '已到现场，门禁主板烧了，明天换新');
  h.mediaQueue.push([real.pngFile('gate.png')]);
  work.comp.querySelector('#photos').instance.choose();
  await h.idle();
  await work.inst.progress();
  await h.idle();
  expect(work.text()).toContain('进展已记录');
  const progress = work.data().issue.timeline.find((t) => t.note === '已到现场，门禁主板烧了，明天换新');
  expect(progress.photos).toHaveLength(1);
  expect(progress.actor).toContain('安居物业');

  type(work, 'days', '30');
  type(work, 'extensionReason', '主板要等厂家发货');
  await work.inst.requestExtension();
  await h.idle();
  expect(work.text()).toMatch(/延期天数须为 1 到 \d+ 天/);

  type(work, 'note', '门禁主板已更换，试过可以刷卡开门');
  await work.inst.resolve();
  await h.idle();
  expect(work.text()).toContain('已办结，等待居民评价');
  expect(work.data().issue.status).toBe('resolved');

  // Staff and the resident read it closed; the trail names the unit.
  real.as('dev:huaishu');
  const closed = h.page('staff/issue/issue');
  await closed.inst.onLoad({ id: String(item.id) });
  await h.idle();
  expect(closed.data().actions.urge).toBeUndefined();
  expect(closed.text()).toContain('门禁主板已更换');
  real.as('dev:居民郑八');
  const own = h.page('pages/issue/issue');
  await own.inst.onLoad({ id: String(item.id) });
  await h.idle();
  expect(own.data().issue.status).toBe('resolved');
  expect(own.text()).toContain('门禁主板已更换');

  // Who the trail names: staff read their colleague's display name, never the login
  // "huaishu"; the resident reads roles and the unit, never a person's account.
  const staffActors = closed.data().issue.timeline.map((t) => t.actor);
  expect(staffActors).not.toContain('huaishu');
  expect(staffActors).toContain('赵丽'); // the demo's huaishu login is 赵丽
  expect(staffActors).toContain('安居物业周经理'); // the member's display name says the unit
  const residentActors = own.data().issue.timeline.map((t) => t.actor);
  expect(new Set(residentActors)).toEqual(new Set(['反映人', '社区工作人员', '安居物业']));
  expect(own.text()).not.toContain('huaishu');
});
