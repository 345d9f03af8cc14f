/**
 * 我的服务时长 (volunteer/hours/hours): my service records (GET /service-records?mine=true) with
 * the certified total of the period, and the certificate of certified hours (志愿服务记录证明):
 * wx.downloadFile of /api/v1/service-records/certificate.pdf with the bearer token, opened with
 * wx.openDocument so it can be saved, printed or forwarded.
 */
const api = require('../../utils/api');
const records = require('../../services/service-records');
const period = require('../../utils/period');
const textsize = require('../../behaviors/textsize');

/** @param {any} r */
function decorate(r) {
  return { ...r, hoursText: `${r.hours} 小时`, pending: r.status === 'pending' };
}

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    items: /** @type {any[]} */ ([]),
    certified: 0,
    pending: 0,
    dateFrom: '',
    dateTo: '',
    error: '',
    notice: '',
    downloading: false,
  },
  methods: {
    /** 重新加载 on the failed-load state. */
    onRetry() {
      return this.load();
    },
    onLoad() {
      const r = period.range('year');
      this.setData({ dateFrom: r.date_from, dateTo: r.date_to });
      return this.load();
    },
    load() {
      const period = { dateFrom: this.data.dateFrom, dateTo: this.data.dateTo };
      return Promise.all([records.mine(period), records.certifiedTotal(period)])
        .then(([all, certified]) => {
          const items = /** @type {any} */ (all).items.map(decorate);
          const sum = items.filter((/** @type {any} */ r) => r.pending).reduce((/** @type {number} */ s, /** @type {any} */ r) => s + r.hours, 0);
          const pending = Math.round(sum * 10) / 10;
          this.setData({ state: 'ready', items, certified: /** @type {any} */ (certified).total_hours, pending });
        })
        .catch((err) => this.setData({ state: this.data.state === 'ready' ? 'ready' : 'error', error: api.messageOf(err) }));
    },
    /** @param {any} e */
    onFrom(e) {
      this.setData({ dateFrom: e.detail.value });
      return this.load();
    },
    /** @param {any} e */
    onTo(e) {
      this.setData({ dateTo: e.detail.value });
      return this.load();
    },
    download() {
      this.setData({ downloading: true, error: '', notice: '' });
      return records
        .certificate({ dateFrom: this.data.dateFrom, dateTo: this.data.dateTo })
        .then(
          (filePath) =>
            new Promise((resolve) => {
              wx.openDocument({
                filePath,
                fileType: 'pdf',
                showMenu: true,
                success: () => resolve(this.setData({ downloading: false, notice: '证明已打开，可点右上角保存或转发。' })),
                fail: () => resolve(this.setData({ downloading: false, error: '证明已下载，但手机打不开 PDF 文件。' })),
              });
            }),
        )
        .catch((err) => this.setData({ downloading: false, error: api.messageOf(err) }));
    },
  },
});
