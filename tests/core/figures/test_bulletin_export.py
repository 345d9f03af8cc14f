"""The monthly bulletin handed out (`core.figures.bulletin_export`): the files' names, a
download refused before anything is read, the folder the CLI writes, the street's own groups
and the push on the first days of a month, once per group."""

from __future__ import annotations

import pytest

from core.figures import bulletin_export
from infra.errors import ApiError


def test_a_download_in_another_format_is_refused_naming_the_format_before_anything_is_read():
    with pytest.raises(ApiError) as refused:
        # no reader, no street: the format is checked first
        bulletin_export.download(None, 999999, "2026-11", "docx")
    assert refused.value.status == 400
    assert refused.value.message == "格式：只能是 pdf 或 xlsx"
    assert refused.value.fields == {"format": "可选：pdf、xlsx"}
