/**
 * 台账 (staff/ledger/ledger): download the ledger spreadsheet of my area for a period
 * (wx.downloadFile of /api/v1/ledger.xlsx with the bearer token) and open it with
 * wx.openDocument so it can be forwarded or printed.
 */
const api = require('../../utils/api');
const ledger = require('../../services/ledger');
const period = require('../../utils/period');
const { loadChoices } = require('../../utils/areas');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: { state: 'ready', periods: period.PERIODS, key: 'month', dateFrom: '', dateTo: '', areas: /** @type {Array<{id: number, name: string}>} */ ([]), areaId: 0, error: '', notice: '' },
  methods: {
    onLoad() {
      const r = period.range('month');
      this.setData({ dateFrom: r.date_from, dateTo: r.date_to });
      return this.loadAreas();
    },
    /** @param {any} e */
    onPeriod(e) {
      const key = e.currentTarget.dataset.key;
      const r = period.range(key);
      this.setData({ key, dateFrom: r.date_from, dateTo: r.date_to });
    },
    /** Admins of a street may pick one of its communities; nobody else sees a choice. */
    loadAreas() {
      return loadChoices(this);
    },
    /** @param {any} e */
    onArea(e) {
      this.setData({ areaId: Number(e.currentTarget.dataset.id) });
      return Promise.resolve();
    },
    /** @param {any} e */
    onFrom(e) {
      this.setData({ key: '', dateFrom: e.detail.value });
    },
    /** @param {any} e */
    onTo(e) {
      this.setData({ key: '', dateTo: e.detail.value });
    },
    download() {
      this.setData({ state: 'loading', error: '', notice: '' });
      return ledger
        .download({ dateFrom: this.data.dateFrom, dateTo: this.data.dateTo, areaId: this.data.areaId })
        .then(
          (filePath) =>
            new Promise((resolve) => {
              wx.openDocument({
                filePath,
                fileType: 'xlsx',
                showMenu: true,
                success: () => resolve(this.setData({ state: 'ready', notice: '台账已打开，可点右上角转发或保存。' })),
                fail: () => resolve(this.setData({ state: 'ready', error: '台账已下载，但手机打不开表格文件。' })),
              });
            }),
        )
        .catch((err) => this.setData({ state: 'ready', error: api.messageOf(err) }));
    },
  },
});
