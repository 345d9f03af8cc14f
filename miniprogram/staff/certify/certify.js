/**
 * 认证服务记录 (staff/certify/certify): the pending service records waiting for me (GET
 * /service-records?status=pending&awaiting=true: not my own — nobody certifies their own hours —
 * and, for a street admin, those no staff member of the community itself can certify);
 * certify one (POST /service-records/{id}/certify) or all
 * ticked at once (POST /service-records/certify). Certified hours go to the person's time-bank
 * passbook; a certified record cannot be changed here (corrections are made in the console).
 */
const api = require('../../utils/api');
const records = require('../../services/service-records');
const loadable = require('../../behaviors/loadable');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: { items: /** @type {any[]} */ ([]), picked: /** @type {Record<string, boolean>} */ ({}), count: 0, notice: '', busy: false },
  methods: {
    onLoad() {
      return this.load();
    },
    load() {
      const fetch = () => records.pending().then((/** @type {any} */ page) => ({ items: page.items, picked: {}, count: 0 }));
      return this.loadWith(fetch, { keepMessage: true });
    },
    /** @param {any} e */
    onPick(e) {
      const id = e.currentTarget.dataset.id;
      const picked = { ...this.data.picked, [id]: !this.data.picked[id] };
      this.setData({ picked, count: Object.values(picked).filter(Boolean).length });
    },
    pickAll() {
      /** @type {Record<string, boolean>} */
      const picked = {};
      this.data.items.forEach((r) => {
        picked[r.id] = true;
      });
      this.setData({ picked, count: this.data.items.length });
    },
    /** @param {any} e */
    certifyOne(e) {
      const id = Number(e.currentTarget.dataset.id);
      this.setData({ busy: true, error: '', notice: '' });
      return records
        .certify(id)
        .then((/** @type {any} */ out) => {
          this.setData({ busy: false, notice: `已认证：${out.person_name} ${out.hours} 小时` });
          return this.load();
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
    certifyPicked() {
      const ids = Object.keys(this.data.picked).filter((k) => this.data.picked[k]).map(Number);
      if (!ids.length) {
        this.setData({ error: '请先勾选要认证的记录。' });
        return Promise.resolve();
      }
      this.setData({ busy: true, error: '', notice: '' });
      return records
        .certifyMany(ids)
        .then((/** @type {any} */ out) => {
          const skipped = out.skipped.length ? `，${out.skipped.length} 条此前已认证` : '';
          this.setData({ busy: false, notice: `已认证 ${out.certified.length} 条${skipped}，时长已记入时间银行。` });
          return this.load();
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err) }));
    },
  },
});
