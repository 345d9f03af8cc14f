/**
 * Photo picker: a big 拍照/相册 button (wx.chooseMedia), each photo uploaded at once to
 * POST /api/v1/media with its progress shown; a failed photo stays with 点此重试; at most
 * `max` photos (9 by default, as the API allows). Emits `change` with {ids, busy, failed}
 * so the page submits only uploaded photo ids and can refuse to submit while busy.
 */
const api = require('../../utils/api');
const media = require('../../services/media');
const permission = require('../../utils/permission');

Component({
  options: { addGlobalClass: true },
  properties: {
    max: { type: Number, value: 9 },
    label: { type: String, value: '照片（可选）' },
  },
  data: {
    /** @type {Array<{path: string, status: string, progress: number, id: number, error: string}>} */
    photos: [],
    message: '',
  },
  methods: {
    choose() {
      const left = this.data.max - this.data.photos.length;
      if (left <= 0) {
        this.setData({ message: `最多只能放 ${this.data.max} 张照片，请先删掉一张。` });
        return;
      }
      this.setData({ message: '' });
      wx.chooseMedia({
        count: left,
        mediaType: ['image'],
        sourceType: ['camera', 'album'],
        sizeType: ['compressed'],
        success: (res) => {
          const files = (res.tempFiles || []).map((f) => f.tempFilePath);
          const taken = files.slice(0, left);
          if (files.length > left) {
            this.setData({ message: `最多只能放 ${this.data.max} 张照片，多出的 ${files.length - left} 张没有加上。` });
          }
          const start = this.data.photos.length;
          const added = taken.map((path) => ({ path, status: 'uploading', progress: 0, id: 0, error: '' }));
          this.setData({ photos: this.data.photos.concat(added) });
          this.emit();
          taken.forEach((_, i) => this.upload(start + i));
        },
        fail: (err) => {
          // A cancel says nothing; a refusal says how to allow the camera and album again.
          const why = permission.refusal(err);
          if (why === 'privacy') this.setData({ message: permission.PRIVACY_DECLINED });
          else if (why === 'denied') {
            this.setData({ message: '没有相机和相册权限，暂时不能加照片。' });
            permission.offerSettings('相机和相册');
          }
        },
      });
    },
    /** @param {number} index */
    upload(index) {
      const photo = this.data.photos[index];
      if (!photo) return Promise.resolve();
      this.setData({ [`photos[${index}].status`]: 'uploading', [`photos[${index}].progress`]: 0 });
      this.emit();
      return media
        .upload(photo.path, (p) => this.setData({ [`photos[${index}].progress`]: p }))
        .then((uploaded) => {
          this.setData({
            [`photos[${index}].status`]: 'done',
            [`photos[${index}].id`]: uploaded.id,
            [`photos[${index}].progress`]: 100,
          });
        })
        .catch((err) => {
          this.setData({
            [`photos[${index}].status`]: 'failed',
            [`photos[${index}].error`]: api.messageOf(err),
          });
        })
        .then(() => this.emit());
    },
    /** @param {any} e */
    onRetry(e) {
      return this.upload(Number(e.currentTarget.dataset.index));
    },
    /** @param {any} e */
    onRemove(e) {
      const index = Number(e.currentTarget.dataset.index);
      const photos = this.data.photos.slice();
      photos.splice(index, 1);
      this.setData({ photos, message: '' });
      this.emit();
    },
    /** Forget every photo (after a successful submit). */
    reset() {
      this.setData({ photos: [], message: '' });
      this.emit();
    },
    emit() {
      const photos = this.data.photos;
      this.triggerEvent('change', {
        ids: photos.filter((p) => p.status === 'done').map((p) => p.id),
        busy: photos.some((p) => p.status === 'uploading'),
        failed: photos.filter((p) => p.status === 'failed').length,
      });
    },
  },
});
