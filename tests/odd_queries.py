"""Odd query strings for the fuzzers (tests/fuzz/test_fuzz_api.py, tests/fuzz/test_callback_fuzz.py):
parameters whose names are empty, control characters, long, any Unicode, or a route's own
names repeated with bad values.

Schemathesis only generates the parameters a route declares, so on its own it never sends
`?=1` or `?%00=x`; schemathesis run from the command line did (issue 33: seed 20261201 as a
resident and an admin), and so do these. A route must ignore what it does not know and answer
what it knows with a 4xx.
"""

from __future__ import annotations

from hypothesis import strategies as st

# Values `str.isdigit` takes for digits and `int()` refuses, or a database refuses.
TRICKY_VALUES = ["³", "①", "١٢", "１２", "\x00", "a\x00b", "\r\n", "9" * 30, "-1", "", "nan"]

odd_names = st.one_of(
    st.sampled_from(["", " ", "\x00", "\r\n", "page\x00", " page", "&", "=", "[]", "n" * 5000]),
    st.text(st.characters(categories=["Cc"]), min_size=1, max_size=4),
    st.text(st.characters(codec="utf-8"), max_size=16),
)
odd_values = st.one_of(
    st.sampled_from(TRICKY_VALUES), st.text(st.characters(codec="utf-8"), max_size=24)
)
# One value, or a name repeated: `?page=1&page=³` (every value of it is read).
odd_value_lists = st.one_of(odd_values, st.lists(odd_values, min_size=2, max_size=3))


def odd_query(known: list[str] | tuple[str, ...] = ()) -> st.SearchStrategy[dict]:
    """Extra query parameters: odd names, and (when the route has any) its own names with odd
    values. Often empty, so the generated case also goes out as it was."""
    names = st.one_of(odd_names, st.sampled_from(list(known))) if known else odd_names
    return st.dictionaries(names, odd_value_lists, max_size=4)
