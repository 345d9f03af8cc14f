/** Volunteer subpackage (register, activities, hours + certificate) and staff/certify: their states. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

const COMMUNITIES = { status: 200, body: { items: [{ id: 2, name: '槐树社区', street_name: '示范街道' }, { id: 3, name: '柳营社区', street_name: '示范街道' }] } };
const NONE = { status: 200, body: { items: [] } };
const input = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });

function volunteer(extra) {
  return {
    id: 8, community_id: 2, community_name: '槐树社区', name: '陈晓', phone: '13800001111', skills: ['理发'],
    team_id: null, team_name: null, party_member: true, unit_id: 4, unit_name: '区税务局',
    party_status: 'pending', party_status_label: '待确认', party_note: '', created_at: '2026-12-01T09:00:00+08:00', ...extra,
  };
}

function activity(extra) {
  return {
    id: 5, community_id: 2, community_name: '槐树社区', title: '敬老院义务理发', place: '社区敬老院', description: '',
    starts_at: '2026-12-05T09:00:00+08:00', ends_at: '2026-12-05T11:00:00+08:00', capacity: 3, signed_up: 1, places_left: 2,
    status: 'published', status_label: '报名中', my_signup: null, ...extra,
  };
}

function record(extra) {
  return {
    id: 11, community_id: 2, organiser: '槐树社区', person_name: '陈晓', user_id: 1, steward_id: null, volunteer_id: 8,
    source_type: 'activity', source_label: '志愿活动', source_id: 5, title: '志愿活动：敬老院义务理发', served_on: '2026-12-05',
    hours: 2, status: 'certified', status_label: '已认证', reason: '', reverses_id: null, corrected: false,
    certified_by: '王芳', certified_at: '2026-12-06T10:00:00+08:00', entry_id: 3, created_at: '2026-12-05T11:00:00+08:00', ...extra,
  };
}

const records = (items, totalHours) => ({ status: 200, body: { items, total: items.length, page: 1, per_page: 100, total_hours: totalHours } });

describe('volunteer/register/register', () => {
  test('loading, error, then a party member registers with field errors first', async () => {
    server.route('GET', '/volunteers/communities', envelope(401, 'unauthorized', '请先登录'));
    server.route('GET', '/volunteers/me', NONE);
    const bad = h.page('volunteer/register/register');
    const failing = bad.inst.onLoad({});
    expect(bad.text()).toContain('正在加载');
    await failing;
    expect(bad.text()).toContain('请先登录');

    server.route('GET', '/volunteers/communities', COMMUNITIES).route('GET', '/volunteers/me', NONE);
    server.route('GET', '/service-units', { status: 200, body: { items: [{ id: 4, community_id: 2, name: '区税务局', active: true }] } });
    server.route('GET', '/volunteer-teams', { status: 200, body: { items: [{ id: 6, community_id: 2, name: '党员先锋队', leader_name: '', active: true }] } });
    const p = h.page('volunteer/register/register');
    await p.inst.onLoad({});
    expect(p.text()).toContain('登记为志愿者');
    await p.inst.submit();
    expect(p.text()).toContain('请先选择报到的社区');
    await p.inst.onCommunity({ currentTarget: { dataset: { id: 2 } } });
    expect(server.requests.find((r) => r.path === '/service-units').query).toContain('community_id=2');
    expect(p.text()).toContain('党员先锋队');
    input(p, 'name', '陈晓');
    input(p, 'phone', '123');
    input(p, 'skills', '理发、维修');
    p.inst.onParty();
    expect(p.text()).toContain('区税务局');
    server.route('POST', '/volunteers', envelope(400, 'validation_error', '手机号：请填写正确的手机号（11 位）', { phone: '请填写正确的手机号（11 位）' }));
    await p.inst.submit();
    expect(p.text()).toContain('请填写正确的手机号（11 位）');
    input(p, 'phone', '13800001111');
    p.inst.onUnit({ currentTarget: { dataset: { id: 4 } } });
    server.route('POST', '/volunteers', { status: 201, body: volunteer() });
    await p.inst.submit();
    const sent = server.requests.filter((r) => r.path === '/volunteers').pop().data;
    expect(sent).toEqual({ community_id: 2, name: '陈晓', phone: '13800001111', skills: ['理发', '维修'], team_id: null, party_member: true, unit_id: 4 });
    expect(p.text()).toContain('登记成功：您是槐树社区的志愿者。在职党员报到待确认。');
  });

  test('an existing registration is shown and filled in', async () => {
    server.route('GET', '/volunteers/communities', COMMUNITIES).route('GET', '/volunteers/me', { status: 200, body: { items: [volunteer({ party_status: 'rejected', party_status_label: '未通过', party_note: '单位不符' })] } });
    server.route('GET', '/service-units', NONE).route('GET', '/volunteer-teams', NONE);
    const p = h.page('volunteer/register/register');
    await p.inst.onLoad({});
    expect(p.text()).toContain('槐树社区的志愿者');
    expect(p.text()).toContain('在职党员 未通过');
    expect(p.text()).toContain('社区说明：单位不符');
    expect(p.text()).toContain('修改登记');
    expect(p.inst.data.form.name).toBe('陈晓');
  });
});

describe('volunteer/activities/activities', () => {
  test('loading, empty, error', async () => {
    server.route('GET', '/activities', fx.page([]));
    const p = h.page('volunteer/activities/activities');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('暂时没有可报名的志愿活动');
    expect(server.requests.find((r) => r.path === '/activities').query).toContain('upcoming=true');
    server.down = true;
    const q = h.page('volunteer/activities/activities');
    await q.inst.onLoad();
    expect(q.text()).toContain('网络不通');
  });

  test('sign up, the last place taken, check in and out', async () => {
    let current = activity();
    server.route('GET', '/activities', () => fx.page([current]));
    server.route('POST', '/activities/5/signup', () => {
      current = activity({ signed_up: 2, places_left: 1, my_signup: { id: 1, activity_id: 5, volunteer_id: 8, name: '陈晓', status: 'signed_up', status_label: '已报名', checked_in_at: null, checked_out_at: null } });
      return { status: 200, body: current };
    });
    const p = h.page('volunteer/activities/activities');
    await p.inst.onLoad();
    expect(p.text()).toContain('剩余 2 个名额');
    expect(p.text()).toContain('12月5日 09:00 – 11:00 · 社区敬老院');
    await p.inst.signup({ currentTarget: { dataset: { id: 5 } } });
    await h.idle();
    expect(p.text()).toContain('报名成功：敬老院义务理发');
    expect(p.text()).toContain('签到');
    server.route('POST', '/activities/5/check-in', envelope(409, 'outside_window', '不在活动签到时间内'));
    await p.inst.checkIn({ currentTarget: { dataset: { id: 5 } } });
    expect(p.text()).toContain('不在活动签到时间内');
    server.route('POST', '/activities/5/check-in', () => {
      current = activity({ my_signup: { ...current.my_signup, checked_in_at: '2026-12-05T09:02:00+08:00' } });
      return { status: 200, body: { signup: current.my_signup } };
    });
    await p.inst.checkIn({ currentTarget: { dataset: { id: 5 } } });
    await h.idle();
    expect(p.text()).toContain('签到成功');
    expect(p.text()).toContain('签退');
    server.route('POST', '/activities/5/check-out', () => {
      current = activity({ my_signup: { ...current.my_signup, checked_out_at: '2026-12-05T10:58:00+08:00' } });
      return { status: 200, body: { signup: current.my_signup, record_id: 11, hours: 2 } };
    });
    await p.inst.checkOut({ currentTarget: { dataset: { id: 5 } } });
    await h.idle();
    expect(p.text()).toContain('签退成功：本次服务 2 小时');
    expect(p.text()).toContain('已签退，服务时长待社区认证');

    server.route('GET', '/activities', fx.page([activity({ id: 6, places_left: 0, signed_up: 3 })]));
    server.route('POST', '/activities/6/signup', envelope(409, 'activity_full', '名额已满'));
    const q = h.page('volunteer/activities/activities');
    await q.inst.onLoad();
    expect(q.text()).toContain('名额已满');
    await q.inst.signup({ currentTarget: { dataset: { id: 6 } } });
    expect(q.inst.data.error).toBe('名额已满');
  });
});

describe('volunteer/hours/hours', () => {
  test('loading, empty, error', async () => {
    server.route('GET', '/service-records', records([], 0));
    const p = h.page('volunteer/hours/hours');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('这段时间还没有服务记录');
    expect(p.inst.data.certified).toBe(0);
    server.route('GET', '/service-records', envelope(500, 'internal_error', '服务器开小差了'));
    const q = h.page('volunteer/hours/hours');
    await q.inst.onLoad();
    expect(q.text()).toContain('服务器开小差了');
  });

  test('records, totals and the certificate opened', async () => {
    server.route('GET', '/service-records', (req) =>
      req.query.includes('status=certified')
        ? records([record()], 2)
        : records([record(), record({ id: 12, status: 'pending', status_label: '待认证', hours: 1.5, title: '街巷巡查（南门巷）' })], 3.5),
    );
    server.route('GET', '/service-records/certificate.pdf', { status: 200, file: '/tmp/cert.pdf' });
    const p = h.page('volunteer/hours/hours');
    await p.inst.onLoad();
    expect(server.requests.find((r) => r.path === '/service-records').query).toContain('mine=true');
    expect(p.text()).toContain('已认证 2 小时');
    expect(p.text()).toContain('另有 1.5 小时待社区认证');
    expect(p.text()).toContain('街巷巡查（南门巷）');
    const done = p.inst.download();
    expect(p.text()).toContain('正在生成');
    await done;
    await h.idle();
    expect(h.callsOf('openDocument').pop()).toMatchObject({ filePath: '/tmp/cert.pdf', fileType: 'pdf' });
    expect(p.text()).toContain('证明已打开');
    const fs = require('fs');
    fs.writeFileSync('/tmp/mp-cert-404.json', JSON.stringify({ error: { code: 'no_certified_records', message: '该期间没有已认证的服务记录' } }));
    server.route('GET', '/service-records/certificate.pdf', { status: 404, file: '/tmp/mp-cert-404.json' });
    await p.inst.download();
    await h.idle();
    expect(p.text()).toContain('该期间没有已认证的服务记录');
  });
});

describe('staff/certify/certify', () => {
  test('loading, empty, error', async () => {
    server.roles = ['resident', 'staff'];
    server.route('GET', '/service-records', records([], 0));
    const p = h.page('staff/certify/certify');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载');
    await done;
    expect(p.text()).toContain('没有待认证的服务记录');
    expect(server.requests.find((r) => r.path === '/service-records').query).toContain('status=pending');
    server.route('GET', '/service-records', envelope(403, 'forbidden', '您没有权限进行此操作'));
    const q = h.page('staff/certify/certify');
    await q.inst.onLoad();
    expect(q.text()).toContain('您没有权限进行此操作');
  });

  test('certify one, then the ticked ones', async () => {
    server.roles = ['resident', 'staff'];
    let pending = [record({ status: 'pending', status_label: '待认证' }), record({ id: 12, status: 'pending', person_name: '管家11', hours: 1 })];
    server.route('GET', '/service-records', () => records(pending, 3));
    server.route('POST', '/service-records/11/certify', () => {
      pending = pending.filter((r) => r.id !== 11);
      return { status: 200, body: record() };
    });
    server.route('POST', '/service-records/certify', (req) => {
      const done = pending.filter((r) => req.data.ids.includes(r.id));
      pending = pending.filter((r) => !req.data.ids.includes(r.id));
      return { status: 200, body: { certified: done.map((r) => ({ ...r, status: 'certified' })), skipped: [] } };
    });
    const p = h.page('staff/certify/certify');
    await p.inst.onLoad();
    expect(p.text()).toContain('待认证（2）');
    await p.inst.certifyOne({ currentTarget: { dataset: { id: 11 } } });
    await h.idle();
    expect(p.text()).toContain('已认证：陈晓 2 小时');
    expect(p.text()).toContain('待认证（1）');
    await p.inst.certifyPicked();
    expect(p.text()).toContain('请先勾选要认证的记录');
    p.inst.onPick({ currentTarget: { dataset: { id: 12 } } });
    expect(p.text()).toContain('认证所选（1）');
    await p.inst.certifyPicked();
    await h.idle();
    expect(server.requests.filter((r) => r.path === '/service-records/certify').pop().data).toEqual({ ids: [12] });
    expect(p.text()).toContain('已认证 1 条，时长已记入时间银行');
    expect(p.text()).toContain('没有待认证的服务记录');
  });
});
