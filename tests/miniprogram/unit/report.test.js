/**
 * pages/report/report and its photo picker: the alley named, 扫一扫 without a board, the
 * categories' icons and examples, empty form (marked and scrolled to), photos (10th, failed +
 * retry, the server's reason, camera refused), subscribe consent (asked in the tap, before any
 * request; a refusal recorded and told), similar, errors, the promised date.
 */
const h = require('../harness');
const { fakeServer, envelope } = require('../fake-server');
const fx = require('../fixtures');

const server = fakeServer();
beforeEach(() => {
  server.reset();
  server.route('GET', '/subscriptions', { status: 200, body: { items: [{ template_id: 'tpl_dev_status', purpose: '办理进度', remaining: 0 }] } });
  server.route('POST', '/subscriptions', { status: 201, body: { template_id: 'tpl_dev_status', remaining: 1 } });
  server.route('GET', '/boards/ABCD2345', { status: 200, body: board() });
});

function board(over = {}) {
  return { code: 'ABCD2345', alley: { id: 9, name: '南门巷' }, path_label: '清河街道 · 第2社区 · 南门巷', community: { id: 3, name: '第2社区', phone: '0571-00000000' }, stewards: [], figures: {}, recent_issues: [], wishes: [], ...over };
}

const type = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });
const picker = (p) => p.comp.querySelector('#photos');

test('without a board the page offers 扫一扫 instead of a form, and a scan opens the form for that alley', async () => {
  const p = h.page('pages/report/report');
  await p.inst.onLoad({});
  expect(p.text()).toContain('请先扫描街巷公示牌');
  expect(p.text()).toContain('扫一扫公示牌');
  expect(p.text()).not.toContain('问题说明');
  h.scanResult = 'https://weixin.qq.com/r/something-else';
  p.inst.onScan();
  await h.idle();
  expect(p.text()).toContain('这不是街巷公示牌上的二维码');
  expect(p.data().state).toBe('scan');
  h.scanResult = 'https://xx.example.org/b/ABCD2345';
  p.inst.onScan();
  await h.idle();
  expect(p.data()).toMatchObject({ state: 'form', code: 'ABCD2345' });
  expect(p.text()).toContain('反映给南门巷的管家');
  expect(p.text()).toContain('清河街道 · 第2社区 · 南门巷');
});

test('a retired board offers 扫一扫 with the reason; a refused camera shows how to allow it', async () => {
  server.route('GET', '/boards/OLD23456', envelope(410, 'board_inactive', '这块公示牌已停用，请扫描巷口新的公示牌'));
  const p = h.page('pages/report/report');
  await p.inst.onLoad({ code: 'OLD23456' });
  await h.idle();
  expect(p.data().state).toBe('scan');
  expect(p.text()).toContain('这块公示牌已停用');
  h.refusals.scanCode = { errMsg: 'scanCode:fail auth deny' };
  p.inst.onScan();
  await h.idle();
  const [modal] = h.callsOf('showModal');
  expect(modal).toMatchObject({ title: '没有相机权限', confirmText: '去设置' });
  expect(h.callsOf('openSetting')).toHaveLength(1);
});

test('the form names its alley and shows each category with an icon and an example', async () => {
  const p = h.page('pages/report/report');
  await p.inst.onLoad({ code: 'ABCD2345' });
  await h.idle();
  const text = p.text();
  expect(text).toContain('反映给南门巷的管家');
  expect(text).toContain('💡设施损坏路灯不亮、井盖松动');
  expect(text).toContain('🧹环境卫生垃圾堆放、污水外溢');
});

test('an empty form shows what is missing, marks and scrolls to the first wrong field, and sends nothing', async () => {
  const p = h.page('pages/report/report');
  await p.inst.onLoad({ code: 'ABCD2345' });
  await h.idle();
  p.inst.onInput({ currentTarget: { dataset: { field: 'phone', key: 'contact_phone' } }, detail: { value: '12' } });
  h.calls.length = 0;
  await p.inst.submit();
  expect(h.callsOf('pageScrollTo')).toEqual([expect.objectContaining({ selector: '#field-category' })]);
  expect(p.comp.querySelector('#field-category').dom.className).toContain('wrong');
  expect(p.comp.querySelector('#field-contact_phone').dom.className).toContain('wrong');
  expect(h.callsOf('requestSubscribeMessage')).toHaveLength(0);
  p.inst.onCategory({ currentTarget: { dataset: { value: '环境卫生' } } });
  await p.inst.submit();
  expect(h.callsOf('pageScrollTo').pop().selector).toBe('#field-content');
  expect(p.comp.querySelector('#field-category').dom.className).not.toContain('wrong');
  const text = p.text();
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
  expect(p.text()).toContain('第 1 张没有传上去：只能上传 JPG、PNG、WebP 图片');
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

test('consent is asked inside the 提交 tap, before any request; the report follows the answer', async () => {
  const p = h.page('pages/report/report');
  await p.inst.onLoad({ code: 'ABCD2345' });
  await h.idle();
  // The template ids were fetched when the page opened, not at the tap.
  expect(server.requests.filter((r) => r.method === 'GET' && r.path === '/subscriptions')).toHaveLength(1);
  p.inst.onCategory({ currentTarget: { dataset: { value: '设施损坏' } } });
  type(p, 'content', '路灯不亮');
  await h.idle();
  server.route('POST', '/issues', { status: 201, body: { ...fx.issue({ deadline: '2026-12-09T18:00:00+08:00' }), similar: [] } });
  h.calls.length = 0;
  const sent = p.inst.submit();
  // Synchronously in the tap: no await, no request, between the tap and the dialog.
  expect(h.calls.map((c) => c.name)).toEqual(['requestSubscribeMessage']);
  expect(h.calls[0].arg.tmplIds).toEqual(['tpl_dev_status']);
  await sent;
  await h.idle();
  const order = h.calls.map((c) => (c.name === 'request' ? `${c.arg.method} ${c.arg.url.replace(/^.*\/api\/v1/, '')}` : c.name));
  expect(order.slice(0, 3)).toEqual(['requestSubscribeMessage', 'POST /subscriptions', 'POST /issues']);
  expect(p.text()).toContain('已提交，编号 S2611220001');
  expect(p.text()).toContain('南门巷的管家会在 12月9日 前办结');
  expect(p.text()).toContain('微信会发服务通知告诉您');
  expect(p.text()).not.toContain('办理期限 一般');
});

test('a refused consent is recorded and the resident is told where to follow progress', async () => {
  const p = h.page('pages/report/report');
  await p.inst.onLoad({ code: 'ABCD2345' });
  await h.idle();
  p.inst.onCategory({ currentTarget: { dataset: { value: '设施损坏' } } });
  type(p, 'content', '路灯不亮');
  server.route('POST', '/issues', { status: 201, body: { ...fx.issue(), similar: [] } });
  h.subscribeAnswer = 'reject';
  await p.inst.submit();
  await h.idle();
  expect(server.requests.filter((r) => r.method === 'POST' && r.path === '/subscriptions')).toHaveLength(0);
  expect(h.storage.get('subscribeRefused')).toMatchObject({ ids: ['tpl_dev_status'] });
  expect(p.data().state).toBe('done');
  expect(p.text()).toContain('您没有允许微信通知，所以不会收到进展提醒。请到“我的”里查看办理进展');
});

test('a photo refused as too large shows why, even when the proxy answered it', async () => {
  const p = h.page('pages/report/report');
  await p.inst.onLoad({ code: 'ABCD2345' });
  server.route('POST', '/media', { status: 413, body: '<html><body>413 Request Entity Too Large</body></html>' });
  h.mediaQueue.push(['/tmp/big.jpg']);
  picker(p).instance.choose();
  await h.idle();
  expect(p.text()).toContain('第 1 张没有传上去：照片太大，传不上去');
  server.route('POST', '/media', envelope(413, 'file_too_large', '图片不能超过 10 MB'));
  await picker(p).instance.onRetry({ currentTarget: { dataset: { index: 0 } } });
  expect(p.text()).toContain('第 1 张没有传上去：图片不能超过 10 MB');
});

test('refused camera or location: the page says how to allow it and opens the settings on request', async () => {
  const p = h.page('pages/report/report');
  await p.inst.onLoad({ code: 'ABCD2345' });
  h.refusals.chooseMedia = { errMsg: 'chooseMedia:fail auth deny' };
  picker(p).instance.choose();
  await h.idle();
  expect(p.text()).toContain('没有相机和相册权限');
  expect(h.callsOf('showModal')[0]).toMatchObject({ title: '没有相机和相册权限', confirmText: '去设置' });
  expect(h.callsOf('openSetting')).toHaveLength(1);

  h.modalAnswers.push(false);
  h.refusals.chooseLocation = { errMsg: 'chooseLocation:fail auth deny' };
  p.inst.onLocation();
  await h.idle();
  expect(p.text()).toContain('没有位置权限，可以不选位置');
  expect(h.callsOf('showModal')[1]).toMatchObject({ title: '没有位置信息权限' });
  expect(h.callsOf('openSetting')).toHaveLength(1); // 不用了: the settings stay closed

  // A cancel is no refusal: nothing is said.
  h.calls.length = 0;
  picker(p).instance.choose(); // the media queue is empty: the harness answers "fail cancel"
  await h.idle();
  expect(h.callsOf('showModal')).toHaveLength(0);
});

test('the privacy popup answers WeChat: 同意 lets the call go on, 不同意 refuses it', async () => {
  const p = h.page('pages/report/report');
  await p.inst.onLoad({ code: 'ABCD2345' });
  expect(typeof h.privacyListener).toBe('function');
  const answers = [];
  h.privacyListener((how) => answers.push(how), { referrer: 'chooseMedia' });
  await h.idle();
  expect(p.text()).toContain('为了拍照或从相册选照片，小巷管家需要您同意《小巷管家隐私说明》');
  const inst = p.comp.querySelector('#privacy').instance;
  inst.onRead();
  expect(h.callsOf('navigateTo').pop().url).toBe('/pages/privacy/privacy');
  inst.onAgree();
  expect(answers).toEqual([{ event: 'agree', buttonId: 'privacy-agree' }]);
  expect(p.text()).not.toContain('需要您同意隐私说明');
  h.privacyListener((how) => answers.push(how), { referrer: 'chooseLocation' });
  await h.idle();
  expect(p.text()).toContain('为了选择问题所在的位置');
  inst.onDisagree();
  expect(answers[1]).toEqual({ event: 'disagree' });
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
  expect(p.text()).toContain('网络不通，连不上服务器。请检查网络后再试。填写的内容已保留。');
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
