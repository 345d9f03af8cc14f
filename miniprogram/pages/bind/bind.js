/**
 * 我的 → 绑定 (pages/bind/bind): a one-time bind code from the community (POST /auth/bind)
 * makes this WeChat user that steward or staff member; the new role is shown.
 */
const api = require('../../utils/api');
const auth = require('../../services/auth');

Component({
  data: { code: '', state: 'form', error: '', result: /** @type {any} */ (null), roleText: '' },
  methods: {
    onLoad() {},
    /** @param {any} e */
    onInput(e) {
      this.setData({ code: e.detail.value, error: '' });
    },
    submit() {
      const code = this.data.code.replace(/\s+/g, '').toUpperCase();
      if (code.length < 4) {
        this.setData({ error: '请输入社区给您的绑定码（8 位字母和数字）。' });
        return Promise.resolve();
      }
      this.setData({ state: 'sending', error: '' });
      return auth
        .bind(code)
        .then((/** @type {any} */ out) => {
          const names = { steward: '小巷管家', staff: '社区工作人员', admin: '街道管理员' };
          const who = out.steward ? `${out.steward.name}，` : '';
          const where = out.area ? `（${out.area.path_label || out.area.name}）` : '';
          return auth.me().then((/** @type {any} */ me) => {
            wx.setStorageSync('roles', me.roles);
            this.setData({
              state: 'done',
              result: out,
              roleText: `${who}您现在是${/** @type {any} */ (names)[out.role] || out.role}${where}`,
            });
          });
        })
        .catch((err) => this.setData({ state: 'form', error: api.messageOf(err) }));
    },
    onDone() {
      wx.navigateBack({ delta: 1 });
    },
  },
});
