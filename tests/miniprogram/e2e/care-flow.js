/**
 * e2e, against the real Flask app and the demo's 寒潮 care alert: 王秀英 opens 关怀提醒, answers
 * 已联系 for 王大爷 (her household left waiting) with a few words, and the answer is on the server:
 * the list shows it answered and 王大爷's card holds the visit the answer wrote.
 */
const h = require('../harness');
const real = require('./real');

real.use();

test('关怀提醒: a steward answers 已联系 → the household is answered and its visit exists', async () => {
  real.as('dev:王秀英');
  const care = h.page('steward/care/care');
  await care.inst.onLoad();
  await h.idle();
  const [alert] = care.data().alerts;
  expect(alert).toMatchObject({ title: '寒潮', answered: 2, total: 3 });
  const wang = alert.households.find((x) => x.head_name === '王大爷');
  expect(wang).toMatchObject({ waiting: true, status_label: '未回复' });

  care.inst.onNote({ currentTarget: { dataset: { key: wang.key } }, detail: { value: '电话里说家里暖和，不用上门' } });
  await care.inst.onAnswer({ currentTarget: { dataset: { alert: alert.id, seq: wang.seq, result: 'contacted' } } });
  await h.idle();
  expect(care.text()).toContain(`第 ${wang.seq} 户已记录：已联系（已回复 3/3 户）`);
  // The page reloaded from the server: the household is answered there.
  const after = care.data().alerts[0].households.find((x) => x.head_name === '王大爷');
  expect(after).toMatchObject({ waiting: false, status: 'contacted', note: '电话里说家里暖和，不用上门' });

  // The answer wrote a visit on 王大爷's card (as 王秀英 recording it by hand would).
  const list = h.page('steward/households/households');
  await list.inst.onLoad();
  await h.idle();
  const id = list.data().items.find((i) => i.head_name === '王大爷').id;
  const card = h.page('steward/household/household');
  await card.inst.onLoad({ id: String(id) });
  await h.idle();
  expect(card.data().h.visits[0].note).toBe('关怀提醒·寒潮：已联系，电话里说家里暖和，不用上门');
});
