/**
 * The loading / pull-to-refresh / error scaffold of the pages that show what they fetched
 * (board, issue, mine, wishes, todo, households, overdue, review, certify, passbook,
 * activities): `behaviors: [loadable]`, then `load()` returns `this.loadWith(fetch, how)`.
 *
 * - data.state: 'loading' → 'ready' or 'error'; data.error: the Chinese message of the last
 *   failure ('' when none). The templates show "正在加载…" for 'loading', the content for
 *   'ready', and the message whenever it is set.
 * - When a load starts and nothing is shown yet (state is not 'ready'), the state becomes
 *   'loading'; content already shown stays on screen while it is refreshed.
 * - fetch() resolves with the data to show (or with nothing, when it set them itself); they
 *   are set together with state 'ready'.
 * - A failure shows its message. Content already shown stays under it; with
 *   `how.replaceOnError` the page shows the error state instead (a board that was retired
 *   must not keep showing its stewards).
 * - The previous message is cleared when a load starts; `how.keepMessage` leaves it, for
 *   pages whose actions show a failure and then reload (the message must stay readable).
 * - A failed first load is a full-page state (components/load-failed: the message, 重新加载
 *   → onRetry → load(), 返回首页): `<load-failed wx:if="{{state === 'error'}}" … />`.
 * - onPullDownRefresh runs the page's load() and stops the pull-down animation however the
 *   load ended. The page's .json sets "enablePullDownRefresh": true.
 */
const api = require('../utils/api');

module.exports = Behavior({
  data: {
    state: 'loading', // loading | error | ready
    error: '',
  },
  methods: {
    /**
     * @param {() => Promise<Record<string, any> | void>} fetch gets and shapes the content
     * @param {{replaceOnError?: boolean, keepMessage?: boolean}} [how]
     * @returns {Promise<void>} settles when the page shows the outcome; never rejects
     */
    loadWith(fetch, how) {
      const opts = how || {};
      /** @type {Record<string, any>} */
      const start = {};
      if (this.data.state !== 'ready') start.state = 'loading';
      if (!opts.keepMessage) start.error = '';
      if (Object.keys(start).length) this.setData(start);
      return fetch().then(
        (shown) => this.setData({ ...(shown || {}), state: 'ready' }),
        (err) => {
          const keep = !opts.replaceOnError && this.data.state === 'ready';
          this.setData({ state: keep ? 'ready' : 'error', error: api.messageOf(err) });
        },
      );
    },
    /** 重新加载 on the failed-load state (components/load-failed): the page's own load(). */
    onRetry() {
      return /** @type {any} */ (this).load();
    },
    onPullDownRefresh() {
      const done = () => wx.stopPullDownRefresh();
      return Promise.resolve(/** @type {any} */ (this).load()).then(done, done);
    },
  },
});
