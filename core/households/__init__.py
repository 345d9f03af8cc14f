"""包联户 (民情联系卡) and 一人一策: households, their care plans and visits — private data.

- `access`: who may read or change a household (its steward; staff whose scope covers its
  alley), the scoped query, and the audit of every read;
- `cards`: create, update, list and read households, and the dicts every front end shows;
- `due`: when a household's visits fall due (kept on the rows, so lists sort overdue first);
- `plans`: the 一人一策 plans and the overdue visits the reminder digest names;
- `visits`: recording a visit, directly or named on a patrol;
- `sheet`: importing households from a spreadsheet (`import-households`, the console page).
"""
