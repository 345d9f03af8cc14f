/**
 * 志愿者登记 (volunteer/register/register): register as a volunteer of a community (POST
 * /volunteers): name, phone (seen only by the community's staff), skills, a volunteer team,
 * and — for an in-service party member (在职党员, 双报到) — their unit, which staff confirm.
 * Shows the current registration (GET /volunteers/me) and lets it be changed.
 */
const api = require('../../utils/api');
const volunteers = require('../../services/volunteers');
const textsize = require('../../behaviors/textsize');

Component({
  behaviors: [textsize],
  data: {
    state: 'loading',
    error: '',
    notice: '',
    fields: /** @type {Record<string, string>} */ ({}),
    communities: /** @type {any[]} */ ([]),
    communityId: 0,
    units: /** @type {any[]} */ ([]),
    teams: /** @type {any[]} */ ([]),
    mine: /** @type {any[]} */ ([]),
    form: { name: '', phone: '', skills: '', team_id: 0, party_member: false, unit_id: 0 },
    busy: false,
  },
  methods: {
    /** @param {Record<string, string>} [options] */
    onLoad(options) {
      const wanted = Number((options && options.community_id) || 0);
      return Promise.all([volunteers.communities(), volunteers.mine()])
        .then(([all, me]) => {
          const mine = /** @type {any} */ (me).items;
          const communities = /** @type {any} */ (all).items;
          const current = mine[0];
          const communityId = wanted || (current && current.community_id) || (communities.length === 1 ? communities[0].id : 0);
          const reg = mine.find((/** @type {any} */ v) => v.community_id === communityId);
          this.setData({
            state: 'ready',
            communities,
            mine: mine.map((/** @type {any} */ v) => ({ ...v, skillsText: (v.skills || []).join('、') })),
            communityId,
            form: reg
              ? { name: reg.name, phone: reg.phone, skills: (reg.skills || []).join('、'), team_id: reg.team_id || 0, party_member: reg.party_member, unit_id: reg.unit_id || 0 }
              : this.data.form,
          });
          return communityId ? this.loadChoices(communityId) : null;
        })
        .catch((err) => this.setData({ state: 'error', error: api.messageOf(err) }));
    },
    /** @param {number} id */
    loadChoices(id) {
      return Promise.all([volunteers.units(id), volunteers.teams(id)])
        .then(([units, teams]) => this.setData({ units: /** @type {any} */ (units).items, teams: /** @type {any} */ (teams).items }))
        .catch((err) => this.setData({ error: api.messageOf(err) }));
    },
    /** @param {any} e */
    onCommunity(e) {
      const id = Number(e.currentTarget.dataset.id);
      this.setData({ communityId: id, 'form.team_id': 0, 'form.unit_id': 0 });
      return this.loadChoices(id);
    },
    /** @param {any} e */
    onInput(e) {
      const field = e.currentTarget.dataset.field;
      this.setData({ [`form.${field}`]: e.detail.value, [`fields.${field}`]: '' });
    },
    /** @param {any} e */
    onTeam(e) {
      const id = Number(e.currentTarget.dataset.id);
      this.setData({ 'form.team_id': this.data.form.team_id === id ? 0 : id });
    },
    /** @param {any} e */
    onUnit(e) {
      this.setData({ 'form.unit_id': Number(e.currentTarget.dataset.id), 'fields.unit_id': '' });
    },
    onParty() {
      this.setData({ 'form.party_member': !this.data.form.party_member });
    },
    submit() {
      const f = this.data.form;
      if (!this.data.communityId) {
        this.setData({ error: '请先选择报到的社区。' });
        return Promise.resolve();
      }
      const who = {
        communityId: this.data.communityId,
        name: f.name.trim(),
        phone: f.phone.trim(),
        skills: f.skills.split(/[、,，\s]+/).filter(Boolean),
        teamId: f.team_id,
        partyMember: f.party_member,
        unitId: f.party_member ? f.unit_id : 0,
      };
      this.setData({ busy: true, error: '', notice: '', fields: {} });
      return volunteers
        .register(who)
        .then((/** @type {any} */ out) => {
          const party = out.party_member ? `在职党员报到${out.party_status_label}。` : '';
          this.setData({ busy: false, notice: `登记成功：您是${out.community_name}的志愿者。${party}` });
        })
        .catch((err) => this.setData({ busy: false, error: api.messageOf(err), fields: (err && err.fields) || {} }));
    },
    /** @param {any} e */
    onGo(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },
  },
});
