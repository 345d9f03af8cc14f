/**
 * services/: each function sends the right method, path, query and body, with the bearer
 * token unless the route is public. Pages are covered by their own files; this one pins the
 * URLs the services alone now know, and that no page or component builds one itself.
 */
const fs = require('fs');
const path = require('path');
const h = require('../harness');
const { fakeServer } = require('../fake-server');

const S = (name) => require(`../../../miniprogram/services/${name}`);
const issues = S('issues');
const wishes = S('wishes');

const server = fakeServer();
beforeEach(() => {
  server.reset();
  h.storage.set('token', 'tok');
});

/**
 * [label, call, method, path, query, body]; body undefined for GETs and downloads.
 * Public routes are listed in PUBLIC below.
 */
const CASES = [
  ['issues.mine', () => issues.mine(), 'GET', '/issues', 'scope=mine&per_page=50'],
  ['issues.assigned', () => issues.assigned(), 'GET', '/issues', 'scope=assigned&status=open&per_page=100'],
  ['issues.overdueInArea', () => issues.overdueInArea(), 'GET', '/issues', 'scope=area&overdue=true&per_page=100'],
  ['issues.heldInArea', () => issues.heldInArea(), 'GET', '/issues', 'scope=area&visibility=held&per_page=100'],
  ['issues.similar at a board', () => issues.similar({ boardCode: 'AB12', alleyId: 9, category: '环境卫生' }), 'GET', '/issues/similar', `board_code=AB12&category=${encodeURIComponent('环境卫生')}`],
  ['issues.similar in an alley', () => issues.similar({ boardCode: '', alleyId: 9, category: '其他' }), 'GET', '/issues/similar', `alley_id=9&category=${encodeURIComponent('其他')}`],
  ['issues.get', () => issues.get(7), 'GET', '/issues/7', ''],
  ['issues.report at a board', () => issues.report({ boardCode: 'AB12', alleyId: 0, category: '其他', content: '灯坏了', photoIds: [3], anonymous: true, location: null, contactPhone: '' }),
    'POST', '/issues', '', { board_code: 'AB12', category: '其他', content: '灯坏了', photo_ids: [3], anonymous: true }],
  ['issues.report in an alley, with place and phone', () => issues.report({ boardCode: '', alleyId: 9, category: '其他', content: '灯坏了', photoIds: [], anonymous: false, location: { lat: 1, lng: 2, address: 'x' }, contactPhone: '13800000000' }),
    'POST', '/issues', '', { alley_id: 9, category: '其他', content: '灯坏了', photo_ids: [], anonymous: false, location: { lat: 1, lng: 2, address: 'x' }, contact_phone: '13800000000' }],
  ['issues.fixedOnSpot', () => issues.fixedOnSpot({ alleyId: 10, category: '环境卫生', content: '楼道堆物', photoIds: [4], note: '' }),
    'POST', '/issues', '', { alley_id: 10, category: '环境卫生', content: '楼道堆物', photo_ids: [4], fixed_on_spot: { note: null, photo_ids: [] } }],
  ['issues.follow', () => issues.follow(7), 'POST', '/issues/7/follow', '', {}],
  ['issues.accept', () => issues.accept(7), 'POST', '/issues/7/accept', '', {}],
  ['issues.resolve', () => issues.resolve(7, { note: '已清理', photoIds: [5], level: '上报社区', outcome: 'answered' }), 'POST', '/issues/7/resolve', '', { note: '已清理', photo_ids: [5], level: '上报社区', outcome: 'answered' }],
  ['issues.replyTemplates', () => issues.replyTemplates(7), 'GET', '/reply-templates', 'issue_id=7'],
  ['issues.escalate', () => issues.escalate(7, '需要社区'), 'POST', '/issues/7/escalate', '', { note: '需要社区' }],
  ['issues.comment', () => issues.comment(7, '你好'), 'POST', '/issues/7/comment', '', { text: '你好' }],
  ['issues.comment with photos', () => issues.comment(7, '你好', []), 'POST', '/issues/7/comment', '', { text: '你好', photo_ids: [] }],
  ['issues.rate', () => issues.rate(7, 4, ''), 'POST', '/issues/7/rate', '', { score: 4, text: null }],
  ['issues.rate with a text', () => issues.rate(7, 5, '很快'), 'POST', '/issues/7/rate', '', { score: 5, text: '很快' }],
  ['issues.reopen', () => issues.reopen(7, '又堆上了'), 'POST', '/issues/7/reopen', '', { note: '又堆上了' }],
  ['issues.cancel', () => issues.cancel(7, ''), 'POST', '/issues/7/cancel', '', { reason: null }],
  ['issues.assign', () => issues.assign(7, { stewardIds: [2], priority: '', note: '' }), 'POST', '/issues/7/assign', '', { steward_ids: [2], priority: null, note: null }],
  ['issues.assign with a tier', () => issues.assign(7, { stewardIds: [1, 2], priority: 'major', note: '尽快' }), 'POST', '/issues/7/assign', '', { steward_ids: [1, 2], priority: 'major', note: '尽快' }],
  ['issues.whistle', () => issues.whistle(7, { unitId: 3, tier: 'important', note: '占道经营' }), 'POST', '/issues/7/whistle', '', { unit_id: 3, tier: 'important', note: '占道经营' }],
  ['issues.urge', () => issues.urge(7, '请尽快'), 'POST', '/issues/7/urge', '', { note: '请尽快' }],
  ['issues.supervise', () => issues.supervise(7, ''), 'POST', '/issues/7/supervise', '', {}],
  ['issues.supervise', () => issues.supervise(7, '超期'), 'POST', '/issues/7/supervise', '', { note: '超期' }],
  ['issues.ofMyUnit', () => issues.ofMyUnit(), 'GET', '/issues', 'scope=unit&status=open&per_page=100'],
  ['issues.checkIn', () => issues.checkIn(7), 'POST', '/issues/7/check-in', '', {}],
  ['issues.progress', () => issues.progress(7, '已到现场', [4]), 'POST', '/issues/7/progress', '', { note: '已到现场', photo_ids: [4] }],
  ['issues.requestExtension', () => issues.requestExtension(7, 5, '需招标'), 'POST', '/issues/7/extension', '', { days: 5, reason: '需招标' }],
  ['issues.returnToCommunity', () => issues.returnToCommunity(7, '不属本单位'), 'POST', '/issues/7/return', '', { reason: '不属本单位' }],
  ['issues.resolveForUnit', () => issues.resolveForUnit(7, '已修好', [5]), 'POST', '/issues/7/resolve', '', { note: '已修好', photo_ids: [5] }],
  ['issues.publish', () => issues.publish(7), 'POST', '/issues/7/moderate', '', { publish: true }],
  ['issues.keepPrivate', () => issues.keepPrivate(7, ''), 'POST', '/issues/7/moderate', '', { publish: false, note: null }],

  ['wishes.wall of an alley', () => wishes.wall('9'), 'GET', '/wishes', 'scope=wall&alley_id=9&per_page=50'],
  ['wishes.wall, all of it', () => wishes.wall(''), 'GET', '/wishes', 'scope=wall&per_page=50'],
  ['wishes.mine', () => wishes.mine(), 'GET', '/wishes', 'scope=mine&per_page=50'],
  ['wishes.claimed', () => wishes.claimed(), 'GET', '/wishes', 'scope=claimed&per_page=50'],
  ['wishes.pendingReview', () => wishes.pendingReview(), 'GET', '/wishes', 'scope=area&status=pending_review&per_page=100'],
  ['wishes.get', () => wishes.get(5), 'GET', '/wishes/5', ''],
  ['wishes.create at a board', () => wishes.create({ boardCode: 'AB12', alleyId: 0, beneficiaryType: 'elderly', displayName: '张奶奶', title: '老花镜', content: '看不清', photoIds: [], contactPhone: '', onBehalfOf: '' }),
    'POST', '/wishes', '', { board_code: 'AB12', beneficiary_type: 'elderly', display_name: '张奶奶', title: '老花镜', content: '看不清', photo_ids: [] }],
  ['wishes.create on behalf, in an alley', () => wishes.create({ boardCode: '', alleyId: 9, beneficiaryType: 'other', displayName: '李', title: 't', content: 'c', photoIds: [1], contactPhone: '13800000000', onBehalfOf: '李大爷' }),
    'POST', '/wishes', '', { alley_id: 9, beneficiary_type: 'other', display_name: '李', title: 't', content: 'c', photo_ids: [1], contact_phone: '13800000000', on_behalf_of: '李大爷' }],
  ['wishes.claim', () => wishes.claim(5, 'volunteer'), 'POST', '/wishes/5/claim', '', { role: 'volunteer' }],
  ['wishes.release', () => wishes.release(5, ''), 'POST', '/wishes/5/release', '', { reason: null }],
  ['wishes.fulfil', () => wishes.fulfil(5, '送到了', [8]), 'POST', '/wishes/5/fulfil', '', { note: '送到了', photo_ids: [8] }],
  ['wishes.confirm', () => wishes.confirm(5, 5, ''), 'POST', '/wishes/5/confirm', '', { score: 5, text: null }],
  ['wishes.approve', () => wishes.approve(5), 'POST', '/wishes/5/approve', '', {}],
  ['wishes.reject', () => wishes.reject(5, '已由民政解决'), 'POST', '/wishes/5/reject', '', { reason: '已由民政解决' }],

  ['boards.get encodes the code', () => S('boards').get('AB/12'), 'GET', '/boards/AB%2F12', ''],
  ['auth.me', () => S('auth').me(), 'GET', '/me', ''],
  ['auth.workbench', () => S('auth').workbench(), 'GET', '/me/workbench', ''],
  ['auth.bind', () => S('auth').bind('ABCD2345'), 'POST', '/auth/bind', '', { code: 'ABCD2345' }],
  ['categories.list', () => S('categories').list(), 'GET', '/categories', ''],
  ['subscriptions.templates', () => S('subscriptions').templates(), 'GET', '/subscriptions', ''],
  ['subscriptions.consent', () => S('subscriptions').consent('T1'), 'POST', '/subscriptions', '', { template_id: 'T1' }],

  ['points.passbooks', () => S('points').passbooks(), 'GET', '/points/me', 'per_page=50'],
  ['points.balances', () => S('points').balances(), 'GET', '/points/me', 'per_page=1'],
  ['points.memberCode', () => S('points').memberCode(3), 'GET', '/points/me/member-code', 'account_id=3'],
  ['points.openPassbook', () => S('points').openPassbook(2), 'POST', '/points/me/passbooks', '', { community_id: 2 }],
  ['points.ofMember', () => S('points').ofMember('M 1'), 'GET', '/points', 'person=M%201&per_page=5'],
  ['shop.items', () => S('shop').items(2), 'GET', '/shop/items', 'community=2&per_page=100'],
  ['shop.redeem', () => S('shop').redeem(4), 'POST', '/shop/items/4/redeem', '', {}],
  ['shop.redeem at the counter', () => S('shop').redeem(4, 'M1'), 'POST', '/shop/items/4/redeem', '', { member_code: 'M1' }],

  ['volunteers.communities', () => S('volunteers').communities(), 'GET', '/volunteers/communities', ''],
  ['volunteers.mine', () => S('volunteers').mine(), 'GET', '/volunteers/me', ''],
  ['volunteers.register', () => S('volunteers').register({ communityId: 2, name: '刘', phone: '13800000000', skills: ['理发'], teamId: 0, partyMember: false, unitId: 0 }),
    'POST', '/volunteers', '', { community_id: 2, name: '刘', phone: '13800000000', skills: ['理发'], team_id: null, party_member: false, unit_id: null }],
  ['volunteers.register a party member', () => S('volunteers').register({ communityId: 2, name: '刘', phone: '1', skills: [], teamId: 6, partyMember: true, unitId: 7 }),
    'POST', '/volunteers', '', { community_id: 2, name: '刘', phone: '1', skills: [], team_id: 6, party_member: true, unit_id: 7 }],
  ['volunteers.units', () => S('volunteers').units(2), 'GET', '/service-units', 'community_id=2'],
  ['volunteers.teams', () => S('volunteers').teams(2), 'GET', '/volunteer-teams', 'community_id=2'],
  ['activities.upcoming', () => S('activities').upcoming(), 'GET', '/activities', 'upcoming=true&per_page=50'],
  ['activities.signup', () => S('activities').signup(6), 'POST', '/activities/6/signup', '', {}],
  ['activities.cancelSignup', () => S('activities').cancelSignup(6), 'POST', '/activities/6/signup/cancel', '', {}],
  ['activities.checkIn', () => S('activities').checkIn(6), 'POST', '/activities/6/check-in', '', {}],
  ['activities.checkOut', () => S('activities').checkOut(6), 'POST', '/activities/6/check-out', '', {}],
  ['service-records.pending', () => S('service-records').pending(), 'GET', '/service-records', 'status=pending&awaiting=true&per_page=100'],
  ['service-records.certify', () => S('service-records').certify(8), 'POST', '/service-records/8/certify', '', {}],
  ['service-records.certifyMany', () => S('service-records').certifyMany([8, 9]), 'POST', '/service-records/certify', '', { ids: [8, 9] }],
  ['service-records.mine', () => S('service-records').mine({ dateFrom: '2026-01-01', dateTo: '2026-11-22' }), 'GET', '/service-records', 'mine=true&date_from=2026-01-01&date_to=2026-11-22&per_page=100'],
  ['service-records.certifiedTotal', () => S('service-records').certifiedTotal({ dateFrom: '2026-01-01', dateTo: '2026-11-22' }), 'GET', '/service-records', 'mine=true&date_from=2026-01-01&date_to=2026-11-22&per_page=1&status=certified'],
  ['service-records.certificate', () => S('service-records').certificate({ dateFrom: '2026-01-01', dateTo: '2026-11-22' }), 'DOWNLOAD', '/service-records/certificate.pdf', 'date_from=2026-01-01&date_to=2026-11-22'],

  ['households.list', () => S('households').list(), 'GET', '/households', 'per_page=100'],
  ['households.get', () => S('households').get(5), 'GET', '/households/5', ''],
  ['households.visit', () => S('households').visit(5, '身体好', [1]), 'POST', '/households/5/visits', '', { note: '身体好', photo_ids: [1] }],
  ['care.mine', () => S('care').mine(), 'GET', '/care-alerts/mine', ''],
  ['care.answer', () => S('care').answer(7, 3, 'needs_help', '暖气坏了'), 'POST', '/care-alerts/7/answers', '', { seq: 3, result: 'needs_help', note: '暖气坏了' }],
  ['patrols.recent', () => S('patrols').recent(), 'GET', '/patrols', 'per_page=20'],
  ['patrols.create', () => S('patrols').create({ alleyId: 9, note: '', photoIds: [], location: null, householdIds: [] }), 'POST', '/patrols', '', { alley_id: 9, note: '', photo_ids: [] }],
  ['patrols.create with place and visits', () => S('patrols').create({ alleyId: 9, note: '无异常', photoIds: [2], location: { lat: 1, lng: 2, address: 'x' }, householdIds: [5] }),
    'POST', '/patrols', '', { alley_id: 9, note: '无异常', photo_ids: [2], location: { lat: 1, lng: 2, address: 'x' }, household_ids: [5] }],

  ['callbacks.waiting', () => S('callbacks').waiting(), 'GET', '/callbacks', 'per_page=50'],
  ['callbacks.record', () => S('callbacks').record(7, 'unsatisfied', '灯还是不亮'), 'POST', '/issues/7/callback', '', { result: 'unsatisfied', note: '灯还是不亮' }],
  ['callbacks.reopen', () => S('callbacks').reopen(7, '灯还是不亮'), 'POST', '/issues/7/reopen', '', { note: '灯还是不亮' }],
  ['stats.get for my area', () => S('stats').get({ areaId: 0, dateFrom: '2026-11-01', dateTo: '2026-11-22' }), 'GET', '/stats', 'date_from=2026-11-01&date_to=2026-11-22'],
  ['stats.get for a community', () => S('stats').get({ areaId: 3, dateFrom: '2026-11-01', dateTo: '2026-11-22' }), 'GET', '/stats', 'area_id=3&date_from=2026-11-01&date_to=2026-11-22'],
  ['ledger.download for my area', () => S('ledger').download({ dateFrom: '2026-11-01', dateTo: '2026-11-22', areaId: 0 }), 'DOWNLOAD', '/ledger.xlsx', 'date_from=2026-11-01&date_to=2026-11-22'],
  ['ledger.download for a community', () => S('ledger').download({ dateFrom: '2026-11-01', dateTo: '2026-11-22', areaId: 3 }), 'DOWNLOAD', '/ledger.xlsx', 'date_from=2026-11-01&date_to=2026-11-22&area_id=3'],
  ['areas.tree', () => S('areas').tree(), 'GET', '/areas', ''],
  ['units.list', () => S('units').list(), 'GET', '/units', 'per_page=100'],
  ['stewards.bindCode', () => S('stewards').bindCode(2), 'POST', '/bind-codes', '', { steward_id: 2 }],
  ['stewards.staffBindCode', () => S('stewards').staffBindCode('huaishu'), 'POST', '/bind-codes', '', { staff_username: 'huaishu' }],
  ['stewards.dismiss', () => S('stewards').dismiss(2, '搬家'), 'POST', '/stewards/2/dismiss', '', { reason: '搬家' }],
];

/** Routes anyone may call without logging in. */
const PUBLIC = new Set(['boards.get encodes the code', 'categories.list', 'wishes.wall of an alley', 'wishes.wall, all of it']);

// Padded to six columns: jest takes a test function with more parameters than the row for
// one that wants a `done` callback.
const ROWS = CASES.map((c) => [...c, ...Array(6 - c.length).fill(undefined)]);

test.each(ROWS)('%s', async (label, call, method, p, query, body) => {
  const wire = method === 'DOWNLOAD' ? 'GET' : method;
  server.route(wire, p, { status: 200, body: { ok: true }, file: '/tmp/mp-service-download' });
  const out = await call();
  expect(out).toEqual(method === 'DOWNLOAD' ? '/tmp/mp-service-download' : { ok: true });
  expect(server.requests).toHaveLength(1);
  const [req] = server.requests;
  expect({ method: req.method, path: req.path, query: req.query }).toEqual({ method: wire, path: p, query });
  if (method === 'POST') expect(req.data).toEqual(body);
  else if (method === 'GET') expect(req.data).toBeUndefined();
  expect(h.callsOf(method === 'DOWNLOAD' ? 'downloadFile' : 'request')).toHaveLength(1);
  expect(req.header.Authorization).toBe(PUBLIC.has(label) ? undefined : 'Bearer tok');
});

test('media.upload sends the file to POST /media with the token and reports progress', async () => {
  const seen = [];
  const out = await S('media').upload('/tmp/photo.jpg', (pct) => seen.push(pct));
  expect(out).toMatchObject({ url: '/media/x.jpg' });
  expect(server.requests.map((r) => [r.method, r.path, r.header.Authorization])).toEqual([['POST', '/media', 'Bearer tok']]);
  expect(h.callsOf('uploadFile')[0].filePath).toBe('/tmp/photo.jpg');
  expect(seen).toEqual([50]);
});

test('auth.useDevCode logs in afresh with the typed code, and an empty one goes back to wx.login', async () => {
  const auth = S('auth');
  server.route('GET', '/me', (req) => ({ status: 200, body: { auth: req.header.Authorization } }));
  auth.useDevCode('dev:王秀英');
  expect(auth.devCode()).toBe('dev:王秀英');
  expect((await auth.me()).auth).toBe('Bearer tok-dev:王秀英');
  expect(h.callsOf('login')).toHaveLength(0);
  auth.useDevCode('');
  expect(auth.devCode()).toBe('');
  h.loginCode = 'wx-code';
  expect((await auth.me()).auth).toBe('Bearer tok-wx-code');
  expect(h.callsOf('login')).toHaveLength(1);
});

test('every service function is pinned above', () => {
  const dir = path.join(h.MP, 'services');
  const pinned = new Set(CASES.map(([label]) => label.split(' ')[0]));
  ['media.upload', 'auth.devCode', 'auth.useDevCode'].forEach((n) => pinned.add(n));
  const all = fs.readdirSync(dir).flatMap((f) => Object.keys(require(path.join(dir, f))).map((k) => `${f.replace(/\.js$/, '')}.${k}`));
  expect(all.filter((n) => !pinned.has(n))).toEqual([]);
});

/** Every .js of the mini program outside services/ and utils/api.js (and the npm copy). */
function callers(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return ['miniprogram_npm', 'services'].includes(d.name) ? [] : callers(p);
    return p.endsWith('.js') && p !== path.join(h.MP, 'utils', 'api.js') ? [p] : [];
  });
}

test.each(callers(h.MP).map((f) => [path.relative(h.MP, f), f]))('%s calls the API only through services/', (_, file) => {
  const src = fs.readFileSync(file, 'utf8');
  expect(src.match(/\bapi\s*\.\s*(get|post|request|upload|download|withToken)\s*\(/g) || []).toEqual([]);
  expect(src.match(/wx\s*\.\s*(request|uploadFile|downloadFile)\s*\(/g) || []).toEqual([]);
});
