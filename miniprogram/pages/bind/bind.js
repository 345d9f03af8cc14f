/**
 * 我的 → 绑定 (pages/bind/bind): a one-time bind code from the community (POST /auth/bind)
 * makes this WeChat user that steward, staff member or member of a handling unit (承办单位);
 * the new role is shown, for a unit member with the unit's name and a way to 本单位待办.
 */
const api = require('../../utils/api');
const auth = require('../../services/auth');
const units = require('../../services/units');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: { code: '', state: 'form', error: '', result: /** @type {any} */ (null), roleText: '', isUnit: false },
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
          const names = { steward: '小巷管家', staff: '社区工作人员', admin: '街道管理员', unit: '承办单位成员' };
          const who = out.steward ? `${out.steward.name}，` : '';
          const isUnit = out.role === 'unit';
          // a unit member is told the unit, not the area it hangs on
          const unitNames = isUnit ? units.list().then((/** @type {any} */ u) => u.items.map((/** @type {any} */ x) => x.name).join('、')) : Promise.resolve('');
          return Promise.all([auth.me(), unitNames]).then(([/** @type {any} */ me, unitText]) => {
            wx.setStorageSync('roles', me.roles);
            const where = unitText ? `（${unitText}）` : out.area ? `（${out.area.path_label || out.area.name}）` : '';
            this.setData({
              state: 'done',
              result: out,
              isUnit,
              roleText: `${who}您现在是${/** @type {any} */ (names)[out.role] || out.role}${where}`,
            });
          });
        })
        .catch((err) => this.setData({ state: 'form', error: api.messageOf(err) }));
    },
    onDone() {
      wx.navigateBack({ delta: 1 });
    },
    onUnitTodo() {
      wx.redirectTo({ url: '/unit/todo/todo' });
    },
  },
});
