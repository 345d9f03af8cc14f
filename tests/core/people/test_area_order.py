"""Areas in the order people count them: 第一网格 … 第九网格, 第十网格 (numbers read as numbers,
Chinese numerals too), each under its parent."""

from __future__ import annotations

from core.people.areas import natural_key


def test_natural_key_counts_chinese_and_arabic_numbers():
    names = ["第十一网格", "第二网格", "第10网格", "第一网格", "第九网格", "第十网格"]
    assert sorted(names, key=natural_key) == [
        "第一网格",
        "第二网格",
        "第九网格",
        "第10网格",
        "第十网格",
        "第十一网格",
    ]
    assert natural_key("一百零五号") > natural_key("九十九号")
