/** pages/wish/wish: empty form, on-behalf field, success, server error keeps the text. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => server.reset());
const type = (p, field, value, key) => p.inst.onInput({ currentTarget: { dataset: { field, key } }, detail: { value } });

test('an empty form lists what is missing; a steward on behalf must say for whom', async () => {
  const p = h.page('pages/wish/wish');
  p.inst.onLoad({ behalf: '1', alley_id: '9' });
  await p.inst.submit();
  const t = p.text();
  for (const m of ['请选择为谁许愿', '请填写心愿墙上显示的称呼', '请用一句话写心愿', '请说说具体情况', '请填写代谁提交']) expect(t).toContain(m);
  expect(server.requests).toHaveLength(0);
  // The first wrong field (for whom, at the top) is scrolled to; each wrong one is marked.
  expect(h.callsOf('pageScrollTo')).toEqual([expect.objectContaining({ selector: '#field-on_behalf_of' })]);
  for (const f of ['on_behalf_of', 'beneficiary_type', 'display_name', 'title', 'content']) expect(p.comp.querySelector(`#field-${f}`).dom.className).toContain('wrong');
  expect(p.comp.querySelector('#field-contact_phone').dom.className).not.toContain('wrong');
});

test('a filled wish is posted and its number shown', async () => {
  server.route('POST', '/wishes', (req) => ({ status: 201, body: fx.wish({ number: 'W2611220009', status: 'pending_review', ...req.data }) }));
  const p = h.page('pages/wish/wish');
  p.inst.onLoad({ code: 'ABCD2345' });
  p.inst.onType({ currentTarget: { dataset: { value: 'elderly' } } });
  type(p, 'displayName', '张奶奶', 'display_name');
  type(p, 'title', '想要一副老花镜');
  type(p, 'content', '看不清药盒上的字');
  await p.inst.submit();
  await h.idle();
  expect(server.requests[server.requests.length - 1].data).toMatchObject({ board_code: 'ABCD2345', beneficiary_type: 'elderly', display_name: '张奶奶', title: '想要一副老花镜' });
  expect(p.text()).toContain('W2611220009');
});

test('a refused wish keeps what was typed and shows the field message', async () => {
  server.route('POST', '/wishes', envelope(400, 'validation_error', '请检查填写的内容：电话号码不正确', { contact_phone: '电话号码不正确' }));
  const p = h.page('pages/wish/wish');
  p.inst.onLoad({ code: 'ABCD2345' });
  p.inst.onType({ currentTarget: { dataset: { value: 'children' } } });
  type(p, 'displayName', '小明', 'display_name');
  type(p, 'title', '想要书包');
  type(p, 'content', '旧书包坏了');
  type(p, 'phone', '123', 'contact_phone');
  await p.inst.submit();
  await h.idle();
  expect(p.text()).toContain('电话号码不正确');
  expect(h.callsOf('pageScrollTo').pop().selector).toBe('#field-contact_phone');
  server.down = true;
  await p.inst.submit();
  await h.idle();
  expect(p.text()).toContain('网络不通，连不上服务器。请检查网络后再试。填写的内容已保留。');
  expect(p.data()).toMatchObject({ displayName: '小明', title: '想要书包', content: '旧书包坏了', phone: '123', state: 'form' });
});
