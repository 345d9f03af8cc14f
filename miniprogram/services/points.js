/**
 * The time bank's passbooks (时间银行存折, /api/v1/points): mine with their entries, the
 * member code as a QR, opening a passbook in a community, and — for staff at the counter —
 * a person's passbook by member code.
 */
const api = require('../utils/api');

/** 我的积分: my passbooks, each with its newest 50 entries. */
const passbooks = () => api.get('/points/me', { per_page: 50 });

/** My passbooks with one entry each: enough for the balances (兑换超市). */
const balances = () => api.get('/points/me', { per_page: 1 });

/** 出示会员码: the member code of one passbook as a PNG data URL. @param {number} accountId */
const memberCode = (accountId) => api.get('/points/me/member-code', { account_id: accountId });

/** 开通存折 in a community before earning anything. @param {number} communityId */
const openPassbook = (communityId) => api.post('/points/me/passbooks', { community_id: communityId });

/** 柜台兑换: the passbook a member code (scanned or typed) belongs to. @param {string} code */
const ofMember = (code) => api.get('/points', { person: code, per_page: 5 });

module.exports = { passbooks, balances, memberCode, openPassbook, ofMember };
