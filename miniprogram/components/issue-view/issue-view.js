/**
 * Shows one issue as everyone involved sees it: number, status, deadline, text, photos,
 * location and contact phone (when the API sends them), the result, and the timeline
 * (t-steps). Takes an item shaped by utils/items.issueView.
 */
Component({
  options: { addGlobalClass: true },
  properties: {
    issue: { type: Object, value: {} },
  },
  methods: {
    /** @param {any} e */
    onPreview(e) {
      const { url, list } = e.currentTarget.dataset;
      wx.previewImage({ current: url, urls: (list || []).map((/** @type {any} */ p) => p.url) });
    },
    onMap() {
      const loc = this.data.issue.location;
      if (!loc) return;
      wx.openLocation({ latitude: Number(loc.lat), longitude: Number(loc.lng), name: loc.address || '问题位置', scale: 17 });
    },
    /** @param {any} e */
    onCall(e) {
      wx.makePhoneCall({ phoneNumber: String(e.currentTarget.dataset.phone) });
    },
  },
});
