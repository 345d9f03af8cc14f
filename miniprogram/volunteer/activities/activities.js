/**
 * 志愿活动 (volunteer/activities/activities): the activities of my volunteer communities that
 * have not ended (GET /activities?upcoming=true); sign up or cancel (POST …/signup,
 * …/signup/cancel; a full activity answers 409 名额已满), and on the day check in and out
 * (POST …/check-in, …/check-out); checking out shows the hours recorded (pending certification).
 */
const api = require('../../utils/api');
const activities = require('../../services/activities');
const loadable = require('../../behaviors/loadable');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

/** @param {any} a */
function decorate(a) {
  const s = a.my_signup;
  let step = 'signup';
  if (s && s.status === 'signed_up') step = s.checked_out_at ? 'done' : s.checked_in_at ? 'out' : 'in';
  return {
    ...a,
    step,
    whenText: `${fmt.dateTime(a.starts_at)} – ${fmt.dateTime(a.ends_at).slice(-5)}`,
    full: a.places_left <= 0,
  };
}

Component({
  behaviors: [loadable, textsize],
  data: { items: /** @type {any[]} */ ([]), notice: '', busy: false },
  methods: {
    onLoad() {
      return this.load();
    },
    load() {
      const fetch = () => activities.upcoming().then((/** @type {any} */ page) => ({ items: page.items.map(decorate) }));
      return this.loadWith(fetch, { keepMessage: true });
    },
    /**
     * @param {any} e
     * @param {(id: number) => Promise<any>} step the step (services/activities)
     * @param {(out: any) => string} done
     */
    act(e, step, done) {
      const id = Number(e.currentTarget.dataset.id);
      this.setData({ busy: true, error: '', notice: '' });
      return step(id)
        .then((/** @type {any} */ out) => {
          this.setData({ busy: false, notice: done(out) });
          return this.load();
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
    /** @param {any} e */
    signup(e) {
      return this.act(e, activities.signup, (out) => `报名成功：${out.title}，请按时参加。`);
    },
    /** @param {any} e */
    cancel(e) {
      return this.act(e, activities.cancelSignup, () => '已取消报名，名额已让出。');
    },
    /** @param {any} e */
    checkIn(e) {
      return this.act(e, activities.checkIn, () => '签到成功，活动结束后请签退。');
    },
    /** @param {any} e */
    checkOut(e) {
      return this.act(e, activities.checkOut, (out) =>
        out.hours ? `签退成功：本次服务 ${out.hours} 小时，社区认证后记入您的服务时长。` : '签退成功（服务不足 15 分钟，不计时长）。',
      );
    },
    /** @param {any} e */
    onGo(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },
  },
});
