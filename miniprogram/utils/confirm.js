/**
 * Ask before a step that cannot be undone (认领心愿, 撤销反映, 通过审核 …): one modal that
 * names the consequence, resolving true only when the user chose the confirming button.
 */

/**
 * @param {{title: string, content: string, confirmText?: string}} what confirmText: the
 *   verb of the step (at most 4 characters, WeChat's limit), never a bare 确定
 * @returns {Promise<boolean>}
 */
function confirm(what) {
  return new Promise((resolve) => {
    wx.showModal({
      title: what.title,
      content: what.content,
      confirmText: what.confirmText || '确定',
      cancelText: '再想想',
      success: (res) => resolve(!!res.confirm),
      fail: () => resolve(false),
    });
  });
}

module.exports = { confirm };
