/**
 * e2e, against the real Flask app and the demo's households: 王秀英 opens 我的包联户 (the
 * overdue one first), records a visit with a photo on a card, then names another household
 * on a patrol; 李建国, on the same alley, sees only his own household; a resident sees none.
 */
const h = require('../harness');
const real = require('./real');

real.use();
const type = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });

test('my households → a visit with a photo → a patrol naming a household; others see none of it', async () => {
  real.as('dev:王秀英');
  const list = h.page('steward/households/households');
  await list.inst.onLoad();
  await h.idle();
  const items = list.data().items;
  expect(items.map((i) => i.head_name).sort()).toEqual(['孙秀珍', '王大爷', '钱建华']);
  expect(items[0]).toMatchObject({ head_name: '王大爷', overdue: true });
  expect(list.text()).toContain('其中 1 户走访已超期');
  const wang = items[0].id;
  const sun = items.find((i) => i.head_name === '孙秀珍').id;

  const card = h.page('steward/household/household');
  await card.inst.onLoad({ id: String(wang) });
  await h.idle();
  expect(card.text()).toContain('拨打 170 0000 3001');
  expect(card.text()).toContain('每周上门看望一次');
  type(card, 'note', '送了降压药，老人精神不错');
  h.mediaQueue.push([real.pngFile('visit.png')]);
  card.comp.querySelector('#photos').instance.choose();
  await h.idle();
  await card.inst.submit();
  await h.idle();
  expect(card.text()).toContain('走访已登记');
  const visit = card.data().h.visits[0];
  expect(visit.note).toBe('送了降压药，老人精神不错');
  expect(visit.photos).toHaveLength(1);
  expect(card.data().h.overdue).toBe(false);

  const patrol = h.page('steward/patrol/patrol');
  await patrol.inst.onLoad();
  await h.idle();
  expect(patrol.text()).toContain('走访了哪几户');
  patrol.inst.onHousehold({ currentTarget: { dataset: { id: sun } } });
  type(patrol, 'note', '巡查南门巷，顺路看了孙小雨');
  await patrol.inst.submit();
  await h.idle();
  expect(patrol.text()).toContain('已登记走访 1 户');
  await card.inst.onLoad({ id: String(sun) });
  await h.idle();
  expect(card.data().h.visits[0]).toMatchObject({ note: '巡查南门巷，顺路看了孙小雨' });
  expect(card.data().h.visits[0].patrol_id).toBeGreaterThan(0);

  // 李建国 also serves 南门巷, but keeps only 周桂英 (槐荫里)
  real.as('dev:李建国');
  await list.inst.onLoad();
  await h.idle();
  expect(list.data().items.map((i) => i.head_name)).toEqual(['周桂英']);
  const other = h.page('steward/household/household');
  await other.inst.onLoad({ id: String(wang) });
  await h.idle();
  expect(other.text()).toContain('找不到该户');
  expect(other.text()).not.toContain('王大爷');

  real.as('dev:居民钱七');
  const none = h.page('steward/households/households');
  await none.inst.onLoad();
  await h.idle();
  expect(none.text()).toContain('您没有权限进行此操作');
  expect(none.data().items).toEqual([]);
});
