/** Sample API answers for unit tests, shaped like the OpenAPI schemas (IssueOut, WishOut …). */
function issue(over = {}) {
  return {
    id: 7, number: 'S2611220001', category: '环境卫生', content: '南门巷口垃圾堆放三天了',
    status: 'submitted', status_label: '待接单', alley: { id: 9, name: '南门巷' },
    created_at: '2026-11-22T08:30:00+08:00', resolved_at: null, resolution_note: null, photos: [],
    priority: 'ordinary', priority_label: '一般', deadline: '2026-11-24T08:30:00+08:00', overdue: false,
    visibility: 'public', hold_reason: null, stewards: [{ id: 1, name: '王秀英', phone: '17000000101' }],
    department: null, accepted_at: null, resolution_level: null, resolution_photos: [], rating: null,
    rating_text: null, reopen_count: 0, closed_at: null, close_reason: null, anonymous: false, source: 'miniprogram',
    location: null, contact_phone: null, reporter: null, is_mine: true, actions: ['comment', 'cancel'],
    timeline: [{ action: 'create', actor: '居民', at: '2026-11-22T08:30:00+08:00', label: '反映问题', note: null, photos: [] }],
    ...over,
  };
}

function wish(over = {}) {
  return {
    id: 5, number: 'W2611220001', title: '想要一副老花镜', content: '眼睛花了看不清', display_name: '张奶奶',
    beneficiary_type: 'elderly', beneficiary_label: '独居/困难老人', status: 'published', status_label: '待认领',
    alley: { id: 9, name: '南门巷' }, claimed: false, claimed_at: null, claimer: null, claimer_role: null,
    closed_at: null, contact_phone: null, created_at: '2026-11-22T08:30:00+08:00', fulfil_note: null,
    fulfil_photos: [], fulfilled_at: null, is_claimer: false, is_mine: false, on_behalf_of: null, photos: [],
    published_at: null, rating: null, rating_text: null, reject_reason: null, check_verdict: 'pass',
    actions: ['claim'], timeline: [], ...over,
  };
}

function page(items) {
  return { status: 200, body: { items, total: items.length, page: 1, per_page: 20 } };
}

function me(over = {}) {
  return {
    status: 200,
    body: {
      user: { id: 1, nickname: null, has_wechat: true }, roles: ['resident'], offline: true, areas: [], stewards: [], ...over,
    },
  };
}

module.exports = { issue, wish, page, me };
