/**
 * 巡查打卡 (steward/patrol/patrol): a daily patrol check-in for one of my alleys with a note,
 * photos and optionally the location (POST /api/v1/patrols), and my recent log (GET /patrols).
 * 走访了哪几户: an optional choice among my households (GET /households), sent as
 * `household_ids`: the server records a visit for each. No households (or that list failing)
 * leaves the patrol as it was.
 */
const api = require('../../utils/api');
const permission = require('../../utils/permission');
const auth = require('../../services/auth');
const households = require('../../services/households');
const patrols = require('../../services/patrols');
const fmt = require('../../utils/format');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'loading', // loading | error | ready
    alleys: /** @type {any[]} */ ([]),
    alleyId: 0,
    note: '',
    location: /** @type {any} */ (null),
    photoIds: /** @type {number[]} */ ([]),
    photosBusy: false,
    photosFailed: 0,
    log: /** @type {any[]} */ ([]),
    households: /** @type {any[]} */ ([]),
    visited: /** @type {Record<string, boolean>} */ ({}),
    error: '',
    notice: '',
    busy: false,
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.onLoad();
    },
    onLoad() {
      return auth
        .me()
        .then((/** @type {any} */ me) => {
          const alleys = me.areas.filter((/** @type {any} */ a) => a.kind === 'alley');
          if (!alleys.length) throw new api.ApiError(403, 'forbidden', '只有小巷管家可以巡查打卡。');
          this.setData({ alleys, alleyId: alleys[0].id });
          return Promise.all([this.loadLog(), this.loadHouseholds()]);
        })
        .catch((err) => this.setData({ state: 'error', error: api.messageOf(err) }));
    },
    loadLog() {
      return patrols.recent().then((/** @type {any} */ out) =>
        this.setData({
          state: 'ready',
          log: out.items.map((/** @type {any} */ p) => ({ ...p, when: fmt.dateTime(p.created_at), photoList: fmt.photoUrls(p.photos) })),
        }),
      );
    },
    loadHouseholds() {
      // optional: a patrol must still work when this list cannot be had
      return households
        .list()
        .then((/** @type {any} */ out) => this.setData({ households: out.items }))
        .catch(() => this.setData({ households: [] }));
    },
    /** @param {any} e */
    onHousehold(e) {
      const id = String(e.currentTarget.dataset.id);
      this.setData({ [`visited.${id}`]: !this.data.visited[id] });
    },
    /** @param {any} e */
    onAlley(e) {
      this.setData({ alleyId: Number(e.currentTarget.dataset.id) });
    },
    /** @param {any} e */
    onInput(e) {
      this.setData({ [e.currentTarget.dataset.field]: e.detail.value });
    },
    /** @param {any} e */
    onPhotos(e) {
      this.setData({ photoIds: e.detail.ids, photosBusy: e.detail.busy, photosFailed: e.detail.failed });
    },
    onLocation() {
      wx.chooseLocation({
        success: (res) => this.setData({ location: { lat: res.latitude, lng: res.longitude, address: res.address || res.name || '' } }),
        fail: (err) => {
          // A refusal is not final: say how to allow the location again (a cancel says nothing).
          const why = permission.refusal(err);
          if (why === 'privacy') this.setData({ error: permission.PRIVACY_DECLINED });
          else if (why === 'denied') permission.offerSettings('位置信息');
        },
      });
    },
    submit() {
      if (this.data.photosBusy || this.data.photosFailed) {
        this.setData({ error: this.data.photosBusy ? '照片还在上传，请稍等。' : '有照片没有传上去，请点照片重试或删掉。' });
        return Promise.resolve();
      }
      const visited = Object.keys(this.data.visited).filter((k) => this.data.visited[k]).map(Number);
      const patrol = { alleyId: this.data.alleyId, note: this.data.note.trim(), photoIds: this.data.photoIds, location: this.data.location, householdIds: visited };
      this.setData({ busy: true, error: '', notice: '' });
      return patrols
        .create(patrol)
        .then(() => {
          const notice = visited.length ? `打卡成功！已登记走访 ${visited.length} 户。` : '打卡成功！';
          this.setData({ busy: false, notice, note: '', location: null, photoIds: [], visited: {} });
          const picker = this.selectComponent('#photos');
          if (picker) picker.reset();
          return this.loadLog();
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
  },
});
