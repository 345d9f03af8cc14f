"""Phone numbers as residents and rosters type them."""

from __future__ import annotations

import pytest

from core.people import phones

CONTACTS = [
    ("13912345678", "13912345678"),
    ("139 1234 5678", "13912345678"),
    ("139-1234-5678", "13912345678"),
    ("+86 139 1234 5678", "13912345678"),
    ("００８６１３９１２３４５６７８", "13912345678"),
    ("0539-1234567", "0539-1234567"),
    ("(0539)1234567", "05391234567"),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("typed", "kept"), CONTACTS)
def test_contact_phones_are_normalised(typed, kept):
    assert phones.contact(typed) == kept


@pytest.mark.parametrize("typed", ["12345", "23912345678", "1391234567", "电话号码", "0539-12"])
def test_bad_contact_phones_are_refused_in_chinese(typed):
    with pytest.raises(ValueError, match="请填写正确的手机号"):
        phones.contact(typed)


def test_landlines_are_not_mobiles():
    assert phones.mobile("0539-1234567") is None
    assert phones.mobile("１３９１２３４５６７８") == "13912345678"
