/**
 * When the camera, the album or the location was refused: WeChat does not ask a second time,
 * so a page that just failed would leave the user stuck. These helpers tell a refusal from a
 * cancel and show how to allow it again (wx.openSetting, which must follow a tap: the modal's
 * 去设置 button is that tap).
 */

/**
 * @param {any} err the `fail` argument of a wx.* call
 * @returns {'denied' | 'privacy' | ''} denied: the permission (相机、相册、位置) is off;
 *   privacy: the user did not agree to the privacy notice; '' for anything else (a cancel)
 */
function refusal(err) {
  const msg = String((err && err.errMsg) || '');
  if (/privacy/i.test(msg) || (err && err.errno === 104)) return 'privacy';
  if (/auth den|authorize|permission|no permission/i.test(msg)) return 'denied';
  return '';
}

/**
 * Explain how to allow `what` and open the settings page when the user agrees.
 * @param {string} what e.g. '相机和相册', '位置信息'
 * @returns {Promise<boolean>} whether the settings page was opened
 */
function offerSettings(what) {
  return new Promise((resolve) => {
    wx.showModal({
      title: `没有${what}权限`,
      content: `您之前没有允许小巷管家使用${what}。请点“去设置”，打开“${what}”后再回来试一次。`,
      confirmText: '去设置',
      cancelText: '不用了',
      success: (res) => {
        if (!res.confirm) return resolve(false);
        wx.openSetting({ complete: () => resolve(true) });
        return undefined;
      },
      fail: () => resolve(false),
    });
  });
}

/** What to say when the privacy notice was declined: the rest of the page still works. */
const PRIVACY_DECLINED = '您没有同意隐私说明，这项功能暂时用不了。想用时再点一次，选“同意并继续”。';

module.exports = { refusal, offerSettings, PRIVACY_DECLINED };
