"""Who is who and where: the area tree (`areas`), loading stewards from a roster
(`roster_file` reads and checks the spreadsheet, `roster` applies it), logins, tokens and bind
codes (`auth`), who may see and do what where (`permissions`), and the phone-number rules
(`phones`)."""
