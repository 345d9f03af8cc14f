"""Signboards (公示牌): issuing, retiring and versioning boards (`boards`), the public view a
scan shows (`public`), and the printed board — fonts (`fonts`), text fitting
(`typeset`), the layout (`layout`), PNG/PDF output and bulk rendering (`render`)."""
