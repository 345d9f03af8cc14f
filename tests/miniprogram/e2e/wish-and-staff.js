/**
 * e2e, against the real Flask app: wish posted → staff approves → volunteer claims (a late
 * claimer gets the 409) → fulfilled → resident confirms; a steward's wish on a resident's
 * behalf claimed and fulfilled by the steward; a held item moderated by staff; a bind code
 * issued by staff and redeemed; figures for the period; the ledger downloaded and opened.
 */
const fs = require('fs');
const h = require('../harness');
const real = require('./real');

real.use();
const boards = real.boards();
const type = (p, field, value, key) => p.inst.onInput({ currentTarget: { dataset: { field, key } }, detail: { value } });

test('wish: posted → approved → claimed (409 for the late one) → fulfilled → confirmed', async () => {
  real.as('dev:居民周四');
  const form = h.page('pages/wish/wish');
  form.inst.onLoad({ code: boards['井头巷'] });
  form.inst.onType({ currentTarget: { dataset: { value: 'elderly' } } });
  type(form, 'displayName', '周奶奶', 'display_name');
  type(form, 'title', '想要一副老花镜');
  type(form, 'content', '看不清药盒上的字，想要一副 300 度的老花镜');
  await form.inst.submit();
  await h.idle();
  const wishId = form.data().created.id;
  expect(form.text()).toContain('社区审核通过后会出现在心愿墙上');

  real.as('dev:huaishu');
  const review = h.page('staff/review/review');
  await review.inst.onLoad();
  await h.idle();
  expect(review.text()).toContain('想要一副老花镜');
  await review.inst.approve({ currentTarget: { dataset: { id: wishId } } });
  await h.idle();
  expect(review.text()).toContain('已通过，心愿已上心愿墙');

  // A party member opens the wall while the wish is still free …
  real.as('dev:党员郑六');
  const lateWall = h.page('pages/wishes/wishes');
  await lateWall.inst.onLoad({});
  await h.idle();
  expect(lateWall.text()).toContain('我来认领（党员）');

  // … a volunteer claims it first …
  real.as('dev:志愿者吴五');
  const wall = h.page('pages/wishes/wishes');
  await wall.inst.onLoad({});
  await h.idle();
  await wall.inst.onClaim({ currentTarget: { dataset: { id: wishId, role: 'volunteer' } } });
  await h.idle();
  expect(wall.text()).toContain('已认领「想要一副老花镜」');

  // … so the party member's tap gets the 409 in Chinese and the wall shows it taken.
  real.as('dev:党员郑六');
  await lateWall.inst.onClaim({ currentTarget: { dataset: { id: wishId, role: 'party_member' } } });
  await h.idle();
  expect(lateWall.text()).toContain('该心愿已被他人认领');
  expect(lateWall.data().items.find((w) => w.id === wishId).claimed).toBe(true);

  real.as('dev:志愿者吴五');
  const mine = h.page('pages/mine/mine');
  await mine.inst.onLoad();
  await h.idle();
  mine.inst.onTab({ currentTarget: { dataset: { tab: 'claimed' } } });
  expect(mine.text()).toContain('想要一副老花镜');
  const work = h.page('pages/wish-item/wish-item');
  await work.inst.onLoad({ id: String(wishId) });
  await h.idle();
  type(work, 'note', '已送去 300 度老花镜一副');
  h.mediaQueue.push([real.pngFile('glasses.png')]);
  work.comp.querySelector('#photos').instance.choose();
  await h.idle();
  await work.inst.fulfil();
  await h.idle();
  expect(work.text()).toContain('已登记心愿实现');
  expect(work.data().wish.fulfil_photos).toHaveLength(1);

  real.as('dev:居民周四');
  const done = h.page('pages/wish-item/wish-item');
  await done.inst.onLoad({ id: String(wishId) });
  await h.idle();
  done.inst.onRate({ detail: { value: 5 }, currentTarget: { dataset: {} } });
  await done.inst.confirm();
  await h.idle();
  expect(done.text()).toContain('谢谢确认');
  expect(done.data().wish.rating).toBe(5);
});

test('a steward posts a wish on a resident\'s behalf; another steward claims and fulfils it; the filer confirms', async () => {
  real.as('dev:陈淑芬');
  const work = h.page('pages/work/work');
  await work.inst.onLoad();
  await h.idle();
  expect(work.text()).toContain('管家工作台');
  work.inst.onBehalfWish();
  const url = h.callsOf('navigateTo').pop().url;
  const alleyId = url.match(/alley_id=(\d+)/)[1];
  const form = h.page('pages/wish/wish');
  form.inst.onLoad({ behalf: '1', alley_id: alleyId });
  form.inst.onType({ currentTarget: { dataset: { value: 'disabled' } } });
  type(form, 'onBehalfOf', '井头巷 5 号 刘大伯', 'on_behalf_of');
  type(form, 'displayName', '刘大伯', 'display_name');
  type(form, 'title', '想修一下轮椅');
  type(form, 'content', '轮椅刹车坏了');
  await form.inst.submit();
  await h.idle();
  expect(form.data().state).toBe('done');
  const wishId = form.data().created.id;

  real.as('dev:huaishu');
  const review = h.page('pages/wish-item/wish-item');
  await review.inst.onLoad({ id: String(wishId) });
  await h.idle();
  await review.inst.approve();
  await h.idle();
  expect(review.text()).toContain('已通过审核');

  real.as('dev:陈淑芬');
  const own = h.page('pages/wish-item/wish-item');
  await own.inst.onLoad({ id: String(wishId) });
  await h.idle();
  expect(own.data().actions.claim).toBeUndefined(); // one's own wish cannot be claimed

  real.as('dev:刘志强');
  const item = h.page('pages/wish-item/wish-item');
  await item.inst.onLoad({ id: String(wishId) });
  await h.idle();
  await item.inst.claim({ currentTarget: { dataset: { role: 'steward' } } });
  await h.idle();
  expect(item.text()).toContain('认领成功');
  type(item, 'note', '已找师傅修好刹车');
  await item.inst.fulfil();
  await h.idle();
  expect(item.data().wish.status).toBe('fulfilled');

  real.as('dev:陈淑芬');
  const confirm = h.page('pages/wish-item/wish-item');
  await confirm.inst.onLoad({ id: String(wishId) });
  await h.idle();
  confirm.inst.onRate({ detail: {}, currentTarget: { dataset: { score: 4 } } });
  await confirm.inst.confirm();
  await h.idle();
  expect(confirm.text()).toContain('谢谢确认');
});

test('a held report is moderated by staff and then shows on the board', async () => {
  real.as('dev:居民冯七');
  const code = boards['仓前街'];
  const report = h.page('pages/report/report');
  report.inst.onLoad({ code });
  report.inst.onCategory({ currentTarget: { dataset: { value: '治安巡防' } } });
  type(report, 'content', '晚上有人在仓前街聚众赌博');
  await report.inst.submit();
  await h.idle();
  const issue = report.data().created;
  expect(issue.visibility).toBe('held');

  const board = h.page('pages/board/board');
  await board.inst.onLoad({ code });
  await h.idle();
  expect(board.text()).not.toContain('聚众赌博');

  real.as('dev:huaishu');
  const review = h.page('staff/review/review');
  await review.inst.onLoad();
  await h.idle();
  review.inst.onTab({ currentTarget: { dataset: { tab: 'held' } } });
  expect(review.text()).toContain('聚众赌博');
  await review.inst.publish({ currentTarget: { dataset: { id: issue.id } } });
  await h.idle();
  expect(review.text()).toContain('已公开到公示牌');

  const after = h.page('pages/board/board');
  await after.inst.onLoad({ code });
  await h.idle();
  expect(after.text()).toContain('聚众赌博');
});

test('staff issue a bind code, shown large and copyable; a new phone redeems it and becomes that steward', async () => {
  real.as('dev:huaishu');
  const page = h.page('staff/stewards/stewards');
  await page.inst.onLoad();
  await h.idle();
  const zhang = page.data().stewards.find((s) => s.name === '张桂兰');
  await page.inst.issueCode({ currentTarget: { dataset: { id: zhang.id } } });
  await h.idle();
  const bindCode = page.data().codes[zhang.id].code;
  expect(page.text()).toContain(bindCode);
  page.inst.copy({ currentTarget: { dataset: { code: bindCode } } });
  expect(h.callsOf('setClipboardData').pop().data).toBe(bindCode);

  real.as('dev:张桂兰的新手机');
  const bind = h.page('pages/bind/bind');
  bind.inst.onInput({ detail: { value: bindCode.toLowerCase() } });
  await bind.inst.submit();
  await h.idle();
  expect(bind.text()).toContain('绑定成功！张桂兰，您现在是小巷管家');
  const again = h.page('pages/bind/bind');
  again.inst.onInput({ detail: { value: bindCode } });
  await again.inst.submit();
  await h.idle();
  expect(again.text()).toContain('绑定码已被使用');
});

test('staff figures for the period and the ledger downloaded and opened', async () => {
  real.as('dev:huaishu');
  const stats = h.page('staff/stats/stats');
  await stats.inst.onLoad();
  await h.idle();
  const c = stats.data().stats.counts;
  expect(stats.text()).toContain(`满意率 `);
  expect(stats.text()).toContain(`满意率 `);
  expect(stats.text()).toContain(`（${c.satisfied}/${c.answered}）`);
  expect(stats.text()).toContain(`（${c.confirmed_solved}/${c.answered}）`);
  expect(stats.text()).toContain(`（${c.solved}/${c.counted}）`);
  expect(c.new).toBeGreaterThan(0);

  const ledger = h.page('staff/ledger/ledger');
  ledger.inst.onLoad();
  await ledger.inst.download();
  await h.idle();
  const opened = h.callsOf('openDocument').pop();
  expect(opened.fileType).toBe('xlsx');
  expect(fs.readFileSync(opened.filePath).subarray(0, 2).toString()).toBe('PK');
  expect(ledger.text()).toContain('台账已打开');

  real.as('dev:居民冯七');
  const refused = h.page('staff/ledger/ledger');
  refused.inst.onLoad();
  await refused.inst.download();
  await h.idle();
  expect(refused.data().error).toMatch(/[\u4e00-\u9fa5]/);
  expect(refused.text()).not.toContain('台账已打开');
});
