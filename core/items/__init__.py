"""Things residents and stewards file and work through.

`issues` and `wishes` are the only places that change an issue or a wish (each transition
checks permission and state and records its event); `patrols` records check-ins; `lifecycle` holds
what every kind of item shares (numbers, photos, tracking tokens, the locked load-and-record
step); `content_check` screens text (msgSecCheck or the offline word list); `notify` decides
who hears about a change (the group, the resident); `privacy` what a group or a public page
may read of an item; `handoffs` who an issue goes to on 派单 / 改派 and the trail's words for
it; `similar` the open issues like a new one; `presenters` builds what each person may see
of an item, for the API and the web pages alike; `queues` is what waits for staff and for a
steward (every 待办, the dashboard, the reminders), `lists` the issue and wish lists with their
filters (console and API); `list_cache` keeps copies of the first-screen lists; `categories`
the categories a report may choose; `on_behalf`, `outcomes`, `merge`, `reply_templates` and
`callbacks`: hotline registrations, closure outcomes, duplicates, 常用回复 and 回访.
"""
