/** pages/wish-item/wish-item: loading, error, claim/fulfil/confirm/approve/reject by `actions`. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

test('loading then error', async () => {
  server.route('GET', '/wishes/5', envelope(404, 'wish_not_found', '找不到该心愿'));
  const p = h.page('pages/wish-item/wish-item');
  const done = p.inst.onLoad({ id: '5' });
  expect(p.text()).toContain('正在加载');
  await done;
  expect(p.text()).toContain('找不到该心愿');
});

test('the claimer fulfils with a note; an empty note is refused first', async () => {
  const claimed = fx.wish({ status: 'claimed', status_label: '已认领', claimed: true, is_claimer: true, claimer: '志愿者', actions: ['release', 'fulfil'] });
  server.route('GET', '/wishes/5', { status: 200, body: claimed });
  server.route('POST', '/wishes/5/fulfil', (req) => ({ status: 200, body: fx.wish({ ...claimed, status: 'fulfilled', status_label: '已实现', fulfil_note: req.data.note, actions: [] }) }));
  const p = h.page('pages/wish-item/wish-item');
  await p.inst.onLoad({ id: '5' });
  expect(p.text()).toContain('登记心愿已实现');
  await p.inst.fulfil();
  expect(p.text()).toContain('请写一写心愿是怎样实现的');
  p.inst.onInput({ currentTarget: { dataset: { field: 'note' } }, detail: { value: '已送去老花镜' } });
  await p.inst.fulfil();
  await h.idle();
  expect(p.text()).toContain('实现情况');
  expect(p.text()).toContain('已送去老花镜');
});

test('confirm with a rating; staff reject needs a reason', async () => {
  server.route('GET', '/wishes/5', { status: 200, body: fx.wish({ status: 'fulfilled', actions: ['confirm'] }) });
  server.route('POST', '/wishes/5/confirm', (req) => ({ status: 200, body: fx.wish({ status: 'closed', status_label: '已完成', rating: req.data.score, actions: [] }) }));
  const p = h.page('pages/wish-item/wish-item');
  await p.inst.onLoad({ id: '5' });
  p.inst.onRate({ detail: { value: 5 }, currentTarget: { dataset: {} } });
  await p.inst.confirm();
  await h.idle();
  expect(server.requests.find((r) => r.path === '/wishes/5/confirm').data).toEqual({ score: 5, text: null });
  expect(p.text()).toContain('谢谢确认');

  server.route('GET', '/wishes/5', { status: 200, body: fx.wish({ status: 'pending_review', actions: ['approve', 'reject'] }) });
  const q = h.page('pages/wish-item/wish-item');
  await q.inst.onLoad({ id: '5' });
  await q.inst.reject();
  expect(q.text()).toContain('驳回请写明原因');
});

test('认领 and 通过审核 are asked first: 再想想 sends nothing, the verb sends once', async () => {
  server.route('GET', '/wishes/5', { status: 200, body: fx.wish() });
  server.route('POST', '/wishes/5/claim', { status: 200, body: fx.wish({ status: 'claimed', status_label: '已认领', claimed: true, is_claimer: true, actions: ['release', 'fulfil'] }) });
  const p = h.page('pages/wish-item/wish-item');
  await p.inst.onLoad({ id: '5' });
  h.modalAnswers.push(false);
  await p.inst.claim({ currentTarget: { dataset: { role: 'volunteer' } } });
  expect(h.callsOf('showModal')[0]).toMatchObject({ title: '确认认领这个心愿？', confirmText: '认领' });
  expect(h.callsOf('showModal')[0].content).toContain('“想要一副老花镜”在心愿墙上显示为已认领，别人不能再认领');
  expect(server.requests.filter((r) => r.path === '/wishes/5/claim')).toHaveLength(0);
  await p.inst.claim({ currentTarget: { dataset: { role: 'volunteer' } } });
  await h.idle();
  expect(server.requests.filter((r) => r.path === '/wishes/5/claim')).toHaveLength(1);
  expect(p.text()).toContain('认领成功');

  server.route('GET', '/wishes/5', { status: 200, body: fx.wish({ status: 'pending_review', actions: ['approve', 'reject'] }) });
  server.route('POST', '/wishes/5/approve', { status: 200, body: fx.wish({ actions: [] }) });
  const q = h.page('pages/wish-item/wish-item');
  await q.inst.onLoad({ id: '5' });
  h.modalAnswers.push(false);
  await q.inst.approve();
  expect(h.callsOf('showModal').pop()).toMatchObject({ title: '确认通过审核？', confirmText: '通过' });
  expect(server.requests.filter((r) => r.path === '/wishes/5/approve')).toHaveLength(0);
  await q.inst.approve();
  await h.idle();
  expect(server.requests.filter((r) => r.path === '/wishes/5/approve')).toHaveLength(1);
});

test('the resident sees the number they left, with no button to call it', async () => {
  server.route('GET', '/wishes/5', { status: 200, body: fx.wish({ is_mine: true, contact_phone: '13800000000' }) });
  const p = h.page('pages/wish-item/wish-item');
  await p.inst.onLoad({ id: '5' });
  expect(p.text()).toContain('您留的联系电话：138 0000 0000');
  expect(p.text()).not.toContain('📞');
});

test('转发: a wish on the wall is forwarded by whose and what; one under review is not', async () => {
  server.route('GET', '/wishes/5', { status: 200, body: fx.wish() });
  const p = h.page('pages/wish-item/wish-item');
  await p.inst.onLoad({ id: '5' });
  expect(h.callsOf('showShareMenu')).toHaveLength(1);
  expect(p.inst.onShareAppMessage()).toEqual({ title: '张奶奶的微心愿：想要一副老花镜，等您来认领', path: '/pages/wish-item/wish-item?id=5' });
  server.route('GET', '/wishes/6', { status: 200, body: fx.wish({ id: 6, status: 'pending_review', status_label: '待审核', actions: ['approve', 'reject'] }) });
  const pending = h.page('pages/wish-item/wish-item');
  await pending.inst.onLoad({ id: '6' });
  expect(h.callsOf('hideShareMenu')).toHaveLength(1);
  expect(pending.inst.onShareAppMessage()).toEqual({ title: '小巷管家 · 心愿墙', path: '/pages/wishes/wishes' });
});
