/**
 * Volunteer activities (志愿活动, /api/v1/activities): the coming ones of my communities, and
 * my part in one — sign up, cancel, check in and out on the day.
 */
const api = require('../utils/api');

/** Activities that have not ended. */
const upcoming = () => api.get('/activities', { upcoming: 'true', per_page: 50 });

/** 报名 (a full activity answers 409 名额已满). @param {number} id */
const signup = (id) => api.post(`/activities/${id}/signup`);

/** 取消报名. @param {number} id */
const cancelSignup = (id) => api.post(`/activities/${id}/signup/cancel`);

/** 签到. @param {number} id */
const checkIn = (id) => api.post(`/activities/${id}/check-in`);

/** 签退: answers the hours recorded (pending certification). @param {number} id */
const checkOut = (id) => api.post(`/activities/${id}/check-out`);

module.exports = { upcoming, signup, cancelSignup, checkIn, checkOut };
