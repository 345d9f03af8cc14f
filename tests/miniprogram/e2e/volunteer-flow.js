/**
 * e2e, against the real Flask app: a resident registers as a volunteer of 槐树社区, signs up
 * for an activity the community published, is checked in by staff (who record the start) and
 * checks out on the phone; staff certify the record; the volunteer sees the certified hours and
 * opens the certificate PDF.
 */
const fs = require('fs');
const h = require('../harness');
const real = require('./real');
const api = require('../../../miniprogram/utils/api');

real.use();
const input = (p, field, value) => p.inst.onInput({ currentTarget: { dataset: { field } }, detail: { value } });

/** @param {Date} d */
const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

test('volunteer: registered → signed up → checked in and out → certified → certificate', async () => {
  const start = new Date(Date.now() - 3 * 3600 * 1000);
  const end = new Date(Date.now() + 3600 * 1000);
  real.as('dev:huaishu');
  const activity = await api.post('/activities', { title: '清理楼道小广告', place: '槐树社区 3 号楼', starts_at: iso(start), ends_at: iso(end), capacity: 5 });

  real.as('dev:志愿者钱七');
  const reg = h.page('volunteer/register/register');
  await reg.inst.onLoad({});
  await h.idle();
  const community = reg.data().communities.find((c) => c.name === '槐树社区');
  await reg.inst.onCommunity({ currentTarget: { dataset: { id: community.id } } });
  input(reg, 'name', '钱七');
  input(reg, 'phone', '1380013800');
  await reg.inst.submit();
  await h.idle();
  expect(reg.text()).toContain('请填写正确的手机号（11 位）');
  input(reg, 'phone', '13800138000');
  await reg.inst.submit();
  await h.idle();
  expect(reg.text()).toContain('登记成功：您是槐树社区的志愿者');

  const list = h.page('volunteer/activities/activities');
  await list.inst.onLoad();
  await h.idle();
  expect(list.text()).toContain('清理楼道小广告');
  await list.inst.signup({ currentTarget: { dataset: { id: activity.id } } });
  await h.idle();
  expect(list.text()).toContain('报名成功：清理楼道小广告');

  real.as('dev:huaishu');
  const signups = await api.get(`/activities/${activity.id}/signups`);
  const mine = signups.items.find((s) => s.name === '钱七');
  await api.post(`/activities/${activity.id}/check-in`, { volunteer_id: mine.volunteer_id, at: iso(start) });

  real.as('dev:志愿者钱七');
  const again = h.page('volunteer/activities/activities');
  await again.inst.onLoad();
  await h.idle();
  await again.inst.checkOut({ currentTarget: { dataset: { id: activity.id } } });
  await h.idle();
  expect(again.text()).toContain('签退成功：本次服务 3 小时');

  real.as('dev:huaishu');
  const certify = h.page('staff/certify/certify');
  await certify.inst.onLoad();
  await h.idle();
  const record = certify.data().items.find((r) => r.person_name === '钱七');
  expect(record.hours).toBe(3);
  certify.inst.onPick({ currentTarget: { dataset: { id: record.id } } });
  await certify.inst.certifyPicked();
  await h.idle();
  expect(certify.text()).toContain('已认证 1 条');

  real.as('dev:志愿者钱七');
  const hours = h.page('volunteer/hours/hours');
  await hours.inst.onLoad();
  await h.idle();
  expect(hours.text()).toContain('已认证 3 小时');
  await hours.inst.download();
  await h.idle();
  const opened = h.callsOf('openDocument').pop();
  expect(opened.fileType).toBe('pdf');
  expect(fs.readFileSync(opened.filePath).subarray(0, 5).toString()).toBe('%PDF-');
  expect(hours.text()).toContain('证明已打开');
});
