/** pages/report/report and its photo picker: empty form, photos (10th, failed + retry), subscribe, similar, errors. */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => {
  server.reset();
  server.route('GET', '/subscriptions', { status: 200, body: { items: [{ template_id: 'tpl_dev_status', purpose: '办理进度', remaining: 0 }] } });
  server.route('POST', '/subscriptions', { status: 201, body: { template_id: 'tpl_dev_status', remaining: 1 } });
});

const type = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });
const picker = (p) => p.comp.querySelector('#photos');

test('without a board the page asks to scan first', () => {
  const p = h.page('pages/report/report');
  p.inst.onLoad({});
  expect(p.text()).toContain('请先扫描街巷公示牌');
});

test('an empty form shows what is missing and sends nothing', async () => {
  const p = h.page('pages/report/report');
  p.inst.onLoad({ code: 'ABCD2345' });
  type(p, 'phone', '12');
  await p.inst.submit();
  const text = p.text();
  expect(text).toContain('请选择问题类别');
  expect(text).toContain('请写一写是什么问题');
  expect(text).toContain('请填写正确的电话号码');
  expect(p.data().phone).toBe('12');
  expect(server.requests.filter((r) => r.path === '/issues')).toHaveLength(0);
});

test('photos: nine at most, a failed upload is retried, then the report is sent with subscribe consent', async () => {
  const p = h.page('pages/report/report');
  p.inst.onLoad({ code: 'ABCD2345' });
  let fail = true;
  server.route('POST', '/media', () => (fail ? envelope(415, 'unsupported_media_type', '只能上传 JPG、PNG、WebP 图片') : { status: 201, body: { id: 41, url: '/media/a.jpg', thumb_url: '/media/a-t.jpg' } }));
  p.inst.onCategory({ currentTarget: { dataset: { value: '环境卫生' } } });
  type(p, 'content', '垃圾堆了三天');
  h.mediaQueue.push(['/tmp/a.jpg']);
  picker(p).instance.choose();
  await h.idle();
  expect(p.text()).toContain('上传失败，点此重试');
  await p.inst.submit();
  expect(p.text()).toContain('有 1 张照片没有传上去');
  fail = false;
  await picker(p).instance.onRetry({ currentTarget: { dataset: { index: 0 } } });
  await h.idle();
  expect(p.data().photoIds).toEqual([41]);

  // ten chosen: only eight more fit
  h.mediaQueue.push(Array.from({ length: 9 }, (_, i) => `/tmp/p${i}.jpg`));
  picker(p).instance.choose();
  await h.idle();
  expect(picker(p).data.photos).toHaveLength(9);
  expect(p.text()).toContain('多出的 1 张没有加上');
  picker(p).instance.choose();
  expect(p.text()).toContain('最多只能放 9 张照片');
  expect(h.callsOf('chooseMedia')).toHaveLength(2);

  server.route('POST', '/issues', (req) => ({ status: 201, body: { ...fx.issue({ photos: req.data.photo_ids.map((id) => ({ id, url: '/m', thumb_url: '/m' })) }), similar: [] } }));
  await p.inst.submit();
  await h.idle();
  const sent = server.requests.find((r) => r.path === '/issues').data;
  expect(sent).toMatchObject({ board_code: 'ABCD2345', category: '环境卫生', content: '垃圾堆了三天', anonymous: false });
  expect(sent.photo_ids).toHaveLength(9);
  expect(h.callsOf('requestSubscribeMessage')[0].tmplIds).toEqual(['tpl_dev_status']);
  expect(server.requests.find((r) => r.method === 'POST' && r.path === '/subscriptions').data).toEqual({ template_id: 'tpl_dev_status' });
  expect(p.text()).toContain('已提交，编号 S2611220001');
});

test('choosing a category offers open reports of the alley to follow instead of a duplicate', async () => {
  const p = h.page('pages/report/report');
  p.inst.onLoad({ code: 'ABCD2345' });
  server.route('GET', '/issues/similar', (req) => ({
    status: 200,
    body: { items: new URLSearchParams(req.query).get('category') === '环境卫生' ? [{ id: 7, number: 'S2611220001', content: '垃圾堆了三天', status_label: '已接单', created_at: '' }] : [] },
  }));
  server.route('POST', '/issues/7/follow', { status: 200, body: fx.issue({ id: 7, number: 'S2611220001', followers: 2, is_following: true }) });
  await p.inst.onCategory({ currentTarget: { dataset: { value: '车辆乱停' } } });
  expect(p.data().similar).toEqual([]);
  expect(p.text()).not.toContain('我也遇到了');
  await p.inst.onCategory({ currentTarget: { dataset: { value: '环境卫生' } } });
  await h.idle();
  const asked = server.requests.filter((r) => r.path === '/issues/similar').pop();
  expect(Object.fromEntries(new URLSearchParams(asked.query))).toEqual({ board_code: 'ABCD2345', category: '环境卫生' });
  expect(p.text()).toContain('这条街巷已经有人反映过“环境卫生”的问题');
  expect(p.text()).toContain('垃圾堆了三天');
  await p.inst.onFollow({ currentTarget: { dataset: { index: 0 } } });
  await h.idle();
  expect(server.requests.filter((r) => r.path === '/issues')).toHaveLength(0);
  expect(p.data().state).toBe('followed');
  expect(p.text()).toContain('已跟进 S2611220001');
  expect(p.text()).toContain('共有 3 位居民反映了这个问题');
  p.inst.onOpen();
  expect(h.callsOf('redirectTo')[0].url).toBe('/pages/issue/issue?id=7');
});

test('a failed similar check never blocks the report, and a refused follow says why', async () => {
  const p = h.page('pages/report/report');
  p.inst.onLoad({ code: 'ABCD2345' });
  server.route('GET', '/issues/similar', envelope(500, 'internal_error', '服务器出错了'));
  await p.inst.onCategory({ currentTarget: { dataset: { value: '环境卫生' } } });
  await h.idle();
  expect(p.data().similar).toEqual([]);
  expect(p.text()).not.toContain('服务器出错了');
  server.route('GET', '/issues/similar', { status: 200, body: { items: [{ id: 7, number: 'S2611220001', content: null, status_label: '待接单', created_at: '' }] } });
  server.route('POST', '/issues/7/follow', envelope(409, 'invalid_transition', '该诉求当前为“已办结”，不能再跟进，如仍有问题请重新反映'));
  await p.inst.onCategory({ currentTarget: { dataset: { value: '环境卫生' } } });
  await h.idle();
  expect(p.text()).toContain('（内容不公开）');
  type(p, 'content', '垃圾还在');
  await p.inst.onFollow({ currentTarget: { dataset: { index: 0 } } });
  await h.idle();
  expect(p.text()).toContain('不能再跟进，如仍有问题请重新反映');
  expect(p.data()).toMatchObject({ state: 'form', content: '垃圾还在', category: '环境卫生' });
});

test('server errors and an unreachable server keep everything typed', async () => {
  const p = h.page('pages/report/report');
  p.inst.onLoad({ code: 'ABCD2345' });
  p.inst.onCategory({ currentTarget: { dataset: { value: '设施损坏' } } });
  type(p, 'content', '路灯坏了');
  type(p, 'phone', '13800000000');
  server.route('POST', '/issues', envelope(410, 'board_retired', '该公示牌已停用'));
  await p.inst.submit();
  await h.idle();
  expect(p.text()).toContain('该公示牌已停用');
  server.down = true;
  await p.inst.submit();
  await h.idle();
  expect(p.text()).toContain('网络不通');
  expect(p.data()).toMatchObject({ category: '设施损坏', content: '路灯坏了', phone: '13800000000', state: 'form' });
});

test('the categories are the ones this deployment configured (GET /categories)', async () => {
  server.route('GET', '/categories', {
    status: 200,
    body: { items: [{ name: '垃圾分类', priority: 'ordinary', deadline_days: 2, private: false }, { name: '违章搭建', priority: 'major', deadline_days: 10, private: false }] },
  });
  const p = h.page('pages/report/report');
  p.inst.onLoad({ code: 'ABCD2345' });
  await new Promise((r) => setTimeout(r, 50));
  expect(p.data().categories).toEqual(['垃圾分类', '违章搭建']);
  expect(p.text()).toContain('违章搭建');
  expect(p.text()).not.toContain('环境卫生');
});
