/**
 * 心愿墙 (pages/wishes/wishes): published wishes of an alley (or the whole wall), each with
 * 认领 as a volunteer or party member (a steward claims as steward). Someone else claiming
 * first is a 409 whose message is shown, and the wall reloads.
 */
const api = require('../../utils/api');
const wishes = require('../../services/wishes');
const loadable = require('../../behaviors/loadable');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [loadable, textsize],
  data: {
    alleyId: '',
    items: /** @type {any[]} */ ([]),
    notice: '',
    isSteward: false,
  },
  methods: {
    /** @param {{alley_id?: string}} options */
    onLoad(options) {
      this.setData({ alleyId: (options && options.alley_id) || '', isSteward: api.roles().includes('steward') });
      return this.load();
    },
    load() {
      const fetch = () => wishes.wall(this.data.alleyId).then((/** @type {any} */ out) => ({ items: out.items }));
      return this.loadWith(fetch, { replaceOnError: true });
    },
    /** @param {any} e */
    onClaim(e) {
      const { id, role } = e.currentTarget.dataset;
      this.setData({ notice: '', error: '' });
      return wishes
        .claim(id, role)
        .then((/** @type {any} */ wish) => {
          this.setData({ notice: `已认领「${wish.title}」，请尽快联系社区完成心愿。` });
          return this.load();
        })
        .catch((err) => {
          this.setData({ error: api.messageOf(err) });
          return this.load().then(() => this.setData({ error: api.messageOf(err), state: 'ready' }));
        });
    },
    /** @param {any} e */
    onOpen(e) {
      wx.navigateTo({ url: `/pages/wish-item/wish-item?id=${e.currentTarget.dataset.id}` });
    },
  },
});
