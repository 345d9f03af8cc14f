/**
 * e2e, against the real Flask app: a resident scans a board (q), reports with a photo; a
 * neighbour is offered that report and follows it instead of repeating it; the steward accepts
 * and resolves with a photo; the resident rates. Then the bad-input cases on
 * the same pages: empty form, 10th photo, failed upload, 401 mid-session, server unreachable.
 */
const fs = require('fs');
const h = require('../harness');
const real = require('./real');

real.use();
const code = real.boards()['南门巷'];
const type = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });
const picker = (p) => p.comp.querySelector('#photos').instance;

test('scan → report with a photo → steward accepts and resolves with a photo → resident rates', async () => {
  // The resident scans the board: WeChat passes the URL encoded once in q.
  real.as('dev:居民赵一');
  const board = h.page('pages/board/board');
  await board.inst.onLoad({ q: encodeURIComponent(`https://xx.example.gov.cn/b/${code}`), scancode_time: '1764547200' });
  await h.idle();
  expect(board.text()).toContain('王秀英');
  expect(board.text()).toContain('社区监督电话');
  expect(board.text()).toContain('离线演示模式');
  board.inst.onReport();
  expect(h.callsOf('navigateTo').pop().url).toBe(`/pages/report/report?code=${code}`);

  const report = h.page('pages/report/report');
  await report.inst.onLoad({ code });
  await h.idle();
  expect(report.text()).toContain('反映给南门巷的管家');
  report.inst.onCategory({ currentTarget: { dataset: { value: '环境卫生' } } });
  type(report, 'content', '南门巷口垃圾堆了三天，味道很大');
  h.mediaQueue.push([real.pngFile('rubbish.png')]);
  picker(report).choose();
  await h.idle();
  const [photoId] = report.data().photoIds;
  expect(photoId).toBeGreaterThan(0);
  report.inst.onLocation();
  await h.idle();
  h.calls.length = 0;
  const submitted = report.inst.submit();
  // Consent is asked in the tap itself, before any request leaves the phone.
  expect(h.calls.map((c) => c.name)).toEqual(['requestSubscribeMessage']);
  await submitted;
  await h.idle();
  const sentAt = h.calls.findIndex((c) => c.name === 'request' && c.arg.method === 'POST' && /\/api\/v1\/issues$/.test(c.arg.url));
  expect(sentAt).toBeGreaterThan(0);
  expect(report.text()).toMatch(/已提交，编号 S\d{10}/);
  expect(report.text()).toMatch(/南门巷的管家会在 \d{1,2}月\d{1,2}日 前办结/);
  const created = report.data().created;
  expect(created.photos.map((x) => x.id)).toEqual([photoId]);
  expect(created.location.address).toBe('南门巷 1 号');
  expect(h.callsOf('requestSubscribeMessage').length).toBe(1);

  // A neighbour with the same problem is offered this report and follows it instead.
  real.as('dev:邻居钱二');
  const follow = h.page('pages/report/report');
  follow.inst.onLoad({ code });
  await follow.inst.onCategory({ currentTarget: { dataset: { value: '环境卫生' } } });
  await h.idle();
  expect(follow.data().similar.map((x) => x.number)).toContain(created.number);
  await follow.inst.onFollow({ currentTarget: { dataset: { index: follow.data().similar.findIndex((x) => x.id === created.id) } } });
  await h.idle();
  expect(follow.text()).toContain(`已跟进 ${created.number}`);
  expect(follow.data().followed.followers).toBe(1);
  const followerMine = h.page('pages/mine/mine');
  await followerMine.inst.onLoad();
  await h.idle();
  expect(followerMine.text()).toContain(created.number);
  expect(followerMine.text()).toContain("我跟进的（别人先反映）");

  // The steward's to-do list has it; accept, then resolve with a photo.
  real.as('dev:王秀英');
  const todo = h.page('steward/todo/todo');
  await todo.inst.onLoad();
  await h.idle();
  expect(todo.text()).toContain('南门巷口垃圾堆了三天');
  todo.inst.onOpen({ currentTarget: { dataset: { id: created.id } } });
  expect(h.callsOf('navigateTo').pop().url).toBe(`/steward/issue/issue?id=${created.id}`);

  const work = h.page('steward/issue/issue');
  await work.inst.onLoad({ id: String(created.id) });
  await h.idle();
  expect(work.text()).toContain('南门巷 1 号');
  await work.inst.accept();
  await h.idle();
  expect(work.text()).toContain('已接单，请尽快处理');
  type(work, 'note', '已联系环卫清运，现场已清理干净');
  h.mediaQueue.push([real.pngFile('clean.png', 80, 60)]);
  picker(work).choose();
  await h.idle();
  await work.inst.resolve();
  expect(work.text()).toContain('请选择办结结果'); // asked, never assumed
  work.inst.onOutcome({ currentTarget: { dataset: { value: 'solved' } } });
  await work.inst.resolve();
  await h.idle();
  expect(work.text()).toContain('已办结，等待居民评价');
  expect(work.data().issue.outcome).toBe('solved');
  expect(work.data().issue.resolution_photos).toHaveLength(1);
  expect(work.data().issue.resolution_level).toBe('现场解决');

  // The resident sees the result and rates it.
  real.as('dev:居民赵一');
  const mine = h.page('pages/mine/mine');
  await mine.inst.onLoad();
  await h.idle();
  expect(mine.text()).toContain('南门巷口垃圾堆了三天');
  const item = h.page('pages/issue/issue');
  await item.inst.onLoad({ id: String(created.id) });
  await h.idle();
  expect(item.text()).toContain('已联系环卫清运');
  expect(item.data().issue.outcome_label).toBe('已解决');
  expect(item.text()).toContain('170 0000 0101');
  item.inst.onRate({ detail: { value: 5 }, currentTarget: { dataset: {} } });
  type(item, 'rateText', '处理得很快');
  await item.inst.submitRating();
  await h.idle();
  expect(item.text()).toContain('谢谢您的评价');
  expect(item.data().issue.status).toBe('closed');
  expect(item.text()).toContain('5 分（很满意）');

  // The board now shows the resolved item publicly.
  const again = h.page('pages/board/board');
  await again.inst.onLoad({ code });
  await h.idle();
  expect(again.text()).toContain('已联系环卫清运');
});

test('bad input keeps what was typed: empty form, 10th photo, failed upload, server unreachable', async () => {
  real.as('dev:居民钱二');
  const p = h.page('pages/report/report');
  p.inst.onLoad({ code });
  await p.inst.submit();
  expect(p.text()).toContain('请选择问题类别');
  p.inst.onCategory({ currentTarget: { dataset: { value: '设施损坏' } } });
  type(p, 'content', '路灯坏了一个星期');
  type(p, 'phone', '13900000001');

  // a file that is not an image: the real server refuses it, the photo offers a retry
  const bogus = `${real.state.dir}/not-a-photo.jpg`;
  fs.writeFileSync(bogus, 'this is not an image');
  h.mediaQueue.push([bogus]);
  picker(p).choose();
  await h.idle();
  expect(p.text()).toContain('上传失败，点此重试');
  expect(p.text()).toMatch(/第 1 张没有传上去：[^服]/); // the server's reason, not a generic one
  await p.inst.submit();
  expect(p.text()).toContain('有 1 张照片没有传上去');
  picker(p).onRemove({ currentTarget: { dataset: { index: 0 } } });

  // nine real photos fit, a tenth does not
  h.mediaQueue.push(Array.from({ length: 10 }, (_, i) => real.pngFile(`p${i}.png`, 20 + i, 20)));
  picker(p).choose();
  await h.idle();
  expect(p.data().photoIds).toHaveLength(9);
  expect(p.text()).toContain('多出的 1 张没有加上');
  picker(p).choose();
  expect(p.text()).toContain('最多只能放 9 张照片');

  // the server goes away: a clear message, nothing lost
  real.control.down = true;
  try {
    await p.inst.submit();
    await h.idle();
  } finally {
    real.control.down = false;
  }
  expect(p.text()).toContain('网络不通');
  expect(p.data()).toMatchObject({ category: '设施损坏', content: '路灯坏了一个星期', phone: '13900000001', state: 'form' });
  expect(p.data().photoIds).toHaveLength(9);

  // back online, the same form goes through
  await p.inst.submit();
  await h.idle();
  expect(p.text()).toMatch(/已提交，编号 S\d{10}/);
  expect(p.data().created.photos).toHaveLength(9);
});

test('a token revoked mid-session: the next call logs in again once and succeeds', async () => {
  real.as('dev:居民孙三');
  const p = h.page('pages/mine/mine');
  await p.inst.onLoad();
  await h.idle();
  const token = h.storage.get('token');
  const out = await real.send('POST', `${real.state.base}/api/v1/auth/logout`, { Authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': 2 }, Buffer.from('{}'));
  expect(out.status).toBe(200);
  const logins = h.callsOf('login').length;
  await p.inst.onPullDownRefresh();
  await h.idle();
  expect(p.data().state).toBe('ready');
  expect(h.callsOf('login').length).toBe(logins + 1);
  expect(h.storage.get('token')).not.toBe(token);
});
