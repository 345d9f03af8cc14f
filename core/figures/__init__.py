"""Numbers people are judged and steered by: the daily 通报 with its card (`reports`), any
period's statistics (`stats`), the ledger spreadsheet (`ledger`), the quarterly assessment
(`assessment`), points (`points`), and an alley's live figures on its board (`alley`)."""
