/** 关怀提醒 of the steward subpackage (steward/care/care): loading, empty, error, and answering
 * households of my list — 已联系, 已上门 with a note, 需帮助 refused without a note, then handed
 * to the community — each answer sent as POST /care-alerts/{id}/answers. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');

const server = fakeServer();
beforeEach(() => server.reset());

function household(over = {}) {
  return {
    seq: 1,
    household_id: 5,
    head_name: '王大爷',
    address: '南门巷 3 号',
    head_phone: '13811112222',
    tags: ['独居老人'],
    status: 'pending',
    status_label: '未回复',
    note: '',
    answered_at: null,
    issue_id: null,
    ...over,
  };
}

function alert(households) {
  return {
    id: 7,
    area: { id: 2, name: '槐树社区' },
    kind: '寒潮',
    title: '寒潮',
    tags: ['独居老人', '空巢老人'],
    message: '今晚降温，请确认取暖',
    created_by: '槐树社区工作人员',
    created_at: '2026-12-07T09:00:00+08:00',
    total: households.length,
    answered: households.filter((x) => x.status !== 'pending').length,
    pending: 0,
    contacted: 0,
    visited: 0,
    needs_help: 0,
    households,
  };
}

const tap = (p, seq, result) =>
  p.inst.onAnswer({ currentTarget: { dataset: { alert: 7, seq, result } } });
const note = (p, key, value) => p.inst.onNote({ currentTarget: { dataset: { key } }, detail: { value } });

describe('steward/care/care', () => {
  test('loading, then empty', async () => {
    server.route('GET', '/care-alerts/mine', { status: 200, body: { items: [] } });
    const p = h.page('steward/care/care');
    const done = p.inst.onLoad();
    expect(p.text()).toContain('正在加载关怀名单');
    await done;
    expect(p.text()).toContain('目前没有关怀提醒');
  });

  test('error', async () => {
    server.route('GET', '/care-alerts/mine', envelope(403, 'care_answer_forbidden', '只有小巷管家有关怀名单'));
    const p = h.page('steward/care/care');
    await p.inst.onLoad();
    await h.idle();
    expect(p.text()).toContain('只有小巷管家有关怀名单');
  });

  test('my list: call, answer, 需帮助 needs words, then goes to the community', async () => {
    const two = [household(), household({ seq: 2, household_id: 6, head_name: '李奶奶', head_phone: null, tags: ['空巢老人'] })];
    server.route('GET', '/care-alerts/mine', { status: 200, body: { items: [alert(two)] } });
    const p = h.page('steward/care/care');
    await p.inst.onLoad();
    expect(p.text()).toContain('寒潮 · 已回复 0/2 户');
    expect(p.text()).toContain('1. 王大爷');
    expect(p.text()).toContain('拨打 138 1111 2222');
    p.inst.onCall({ currentTarget: { dataset: { phone: '13811112222' } } });
    expect(h.callsOf('makePhoneCall')[0]).toMatchObject({ phoneNumber: '13811112222' });

    server.route('POST', '/care-alerts/7/answers', {
      status: 200,
      body: { alert_id: 7, household: household({ status: 'visited', status_label: '已上门', note: '一切正常' }), answered: 1, total: 2 },
    });
    note(p, '7-1', '一切正常');
    await tap(p, 1, 'visited');
    await h.idle();
    const sent = server.requests.filter((r) => r.path === '/care-alerts/7/answers');
    expect(sent.map((r) => r.data)).toEqual([{ seq: 1, result: 'visited', note: '一切正常' }]);
    expect(p.text()).toContain('第 1 户已记录：已上门（已回复 1/2 户）');

    await tap(p, 2, 'needs_help');
    expect(p.text()).toContain('请写明需要什么帮助');
    expect(server.requests.filter((r) => r.path === '/care-alerts/7/answers')).toHaveLength(1);
    server.route('POST', '/care-alerts/7/answers', {
      status: 200,
      body: { alert_id: 7, household: household({ seq: 2, status: 'needs_help', status_label: '需帮助', issue_id: 31 }), answered: 2, total: 2 },
    });
    note(p, '7-2', '取暖器坏了');
    await tap(p, 2, 'needs_help');
    await h.idle();
    expect(p.text()).toContain('第 2 户已记录：需帮助，已转社区处理（诉求 #31）（已回复 2/2 户）');

    server.route('POST', '/care-alerts/7/answers', envelope(409, 'already_handed_over', '该户已转社区处理（诉求 #31），请在小程序查看进展'));
    note(p, '7-2', '还是冷');
    await tap(p, 2, 'needs_help');
    await h.idle();
    expect(p.text()).toContain('该户已转社区处理（诉求 #31）');
  });
});
