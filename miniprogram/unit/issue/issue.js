/**
 * 单位办理 (unit/issue/issue?id=): an item whistled to my unit, with the resident's photos and
 * phone as the API shows them to the unit, and the unit's actions — each button only when the
 * item's `actions` allow it: 报到 (check-in), 进展 (a note with photos), 办结 (a result with
 * photos), 申请延期 (days and a reason; staff decide), 退回 (a reason; back to the community).
 * A refusal shows the server's Chinese message; a 409 (someone of the unit acted first, or the
 * item left the unit) reloads the item so the buttons match it. Typed text survives errors.
 * Loading, the note-and-photos form and sending: behaviors/item-work.
 */
const issues = require('../../services/issues');
const textsize = require('../../behaviors/textsize');
const itemWork = require('../../behaviors/item-work');

Component({
  behaviors: [textsize, itemWork],
  data: {
    days: '',
    extensionReason: '',
    returnReason: '',
  },
  methods: {
    checkIn() {
      return this.act(() => issues.checkIn(this.data.id), '已报到，请按期限办理。');
    },
    progress() {
      const problem = this.noteProblem('请先写进展说明：做了什么、下一步怎么办。');
      if (problem) return this.refuse(problem);
      const note = this.data.note.trim();
      return this.act(() => issues.progress(this.data.id, note, this.data.photoIds), '进展已记录，社区和居民都能看到。', { note: '', photoIds: [] });
    },
    resolve() {
      const problem = this.noteProblem('请先写办理结果。');
      if (problem) return this.refuse(problem);
      const note = this.data.note.trim();
      return this.act(() => issues.resolveForUnit(this.data.id, note, this.data.photoIds), '已办结，等待居民评价。', { note: '', photoIds: [] });
    },
    requestExtension() {
      const days = Number(String(this.data.days).trim());
      if (!Number.isInteger(days) || days < 1) return this.refuse('请填写要延期的天数（整数，至少 1 天）。');
      const reason = this.data.extensionReason.trim();
      if (!reason) return this.refuse('请写明延期原因。');
      return this.act(() => issues.requestExtension(this.data.id, days, reason), `已申请延期 ${days} 天，等待社区审批。`, { days: '', extensionReason: '' });
    },
    returnToCommunity() {
      const reason = this.data.returnReason.trim();
      if (!reason) return this.refuse('退回请写明原因：为什么不属于本单位办理。');
      return this.act(() => issues.returnToCommunity(this.data.id, reason), '已退回社区，社区会另行安排。', { returnReason: '' });
    },
  },
});
