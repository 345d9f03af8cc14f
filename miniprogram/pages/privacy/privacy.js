/**
 * 隐私说明 (pages/privacy/privacy): what the mini program collects, why, who sees it, how long
 * it is kept and how to have it deleted, in plain words (linked from 我的 and from the privacy
 * popup). The facts follow the server: docs/security.md "What is never shown" for who sees
 * what; nothing is deleted on a timer, so the page says so and names who deletes on request.
 */
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    // The login token's lifetime (TOKEN_TTL_DAYS' default): after it, WeChat logs in afresh.
    tokenDays: 30,
  },
  methods: {
    onBack() {
      wx.navigateBack({ delta: 1 });
    },
  },
});
