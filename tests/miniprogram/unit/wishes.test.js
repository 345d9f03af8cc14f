/** pages/wishes/wishes: loading, empty, error, success and a claim lost to someone faster (409). */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());

test('loading then empty', async () => {
  server.route('GET', '/wishes', fx.page([]));
  const p = h.page('pages/wishes/wishes');
  const done = p.inst.onLoad({ alley_id: '9' });
  expect(p.text()).toContain('正在加载心愿墙');
  await done;
  expect(p.text()).toContain('心愿墙上暂时没有心愿');
  expect(server.requests[0].query).toContain('scope=wall');
  expect(server.requests[0].query).toContain('alley_id=9');
});

test('error', async () => {
  server.down = true;
  const p = h.page('pages/wishes/wishes');
  await p.inst.onLoad({});
  expect(p.text()).toContain('网络不通');
});

test('claim succeeds; a second claim of a taken wish shows the 409 message', async () => {
  server.route('GET', '/wishes', fx.page([fx.wish()]));
  const p = h.page('pages/wishes/wishes');
  await p.inst.onLoad({});
  expect(p.text()).toContain('想要一副老花镜');
  expect(p.text()).toContain('我来认领（志愿者）');
  server.route('POST', '/wishes/5/claim', (req) => ({ status: 200, body: fx.wish({ claimed: true, claimer_role: req.data.role }) }));
  await p.inst.onClaim({ currentTarget: { dataset: { id: 5, role: 'party_member' } } });
  await h.idle();
  expect(server.requests.find((r) => r.path === '/wishes/5/claim').data).toEqual({ role: 'party_member' });
  expect(p.text()).toContain('已认领「想要一副老花镜」');
  server.route('POST', '/wishes/5/claim', envelope(409, 'already_claimed', '这个心愿刚刚已被别人认领了'));
  await p.inst.onClaim({ currentTarget: { dataset: { id: 5, role: 'volunteer' } } });
  await h.idle();
  expect(p.text()).toContain('这个心愿刚刚已被别人认领了');
});
