"""How `/dev/outbox` shows a kept message: as the person at the other end would see it.

A group-robot text reads as text with its @-mentions, markdown is rendered (the subset WeCom's
robot understands: headings, bold, quotes, links and `<font color>`), an image is shown as the
image, a subscribe message lists its fields, and a private message from the WeCom app
(`core.delivery.private`) reads as text addressed to its one recipient. Everything a message carries is escaped first,
so a resident's text can never inject markup into this page.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from core.delivery import outbox

# WeCom's markdown colours (info = green, comment = grey, warning = orange), as classes of
# web/home/static/outbox.css: the page's Content-Security-Policy allows no inline style.
FONT_COLOURS = ("info", "comment", "warning")

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_FONT = re.compile(
    r'&lt;font color=(?:&#34;|&quot;|")(\w+)(?:&#34;|&quot;|")&gt;(.*?)&lt;/font&gt;'
)


def _inline(escaped: str) -> str:
    """Bold, links and coloured text inside one already-escaped line."""
    text = _BOLD.sub(r"<strong>\1</strong>", escaped)
    text = _LINK.sub(r'<a href="\2" rel="noreferrer">\1</a>', text)
    return _FONT.sub(
        lambda m: (
            f'<span class="font-{m.group(1)}">{m.group(2)}</span>'
            if m.group(1) in FONT_COLOURS
            else f"<span>{m.group(2)}</span>"
        ),
        text,
    )


def markdown_html(source: str) -> Markup:
    """WeCom robot markdown → HTML, line by line, from escaped text only."""
    out = []
    for line in source.split("\n"):
        escaped = str(escape(line))
        heading = re.match(r"^(#{1,6})\s+(.*)$", escaped)
        if heading:
            level = min(len(heading.group(1)) + 2, 6)  # keep them below the page's own title
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif escaped.startswith("&gt; ") or escaped == "&gt;":
            out.append(f"<blockquote>{_inline(escaped[5:])}</blockquote>")
        elif escaped.strip():
            out.append(f"<p>{_inline(escaped)}</p>")
    return Markup("\n".join(out))


def _robot_body(payload: dict) -> tuple[str, Markup]:
    kind = payload.get("msgtype")
    if kind == "text":
        text = payload.get("text") or {}
        mentions = (text.get("mentioned_list") or []) + (text.get("mentioned_mobile_list") or [])
        body = Markup("<p class='msg-text'>{}</p>").format(text.get("content", ""))
        if mentions:
            body += Markup("<p class='msg-at'>@ {}</p>").format("、".join(mentions))
        return "文本", body
    if kind == "markdown":
        return "Markdown", markdown_html((payload.get("markdown") or {}).get("content", ""))
    if kind == "image":
        data = (payload.get("image") or {}).get("base64", "")
        mime = "image/png" if data.startswith("iVBOR") else "image/jpeg"
        return "图片", Markup(
            '<img class="msg-image" alt="群消息图片" src="data:{};base64,{}">'
        ).format(mime, data)
    return kind or "未知", Markup("<pre>{}</pre>").format(payload)


def _subscribe_body(payload: dict) -> tuple[str, Markup]:
    fields = payload.get("data") or {}
    rows = Markup("").join(
        Markup("<tr><th>{}</th><td>{}</td></tr>").format(key, (value or {}).get("value", ""))
        for key, value in fields.items()
    )
    page = payload.get("page") or ""
    table = Markup("<table class='msg-fields'>{}</table>").format(rows)
    return "模板 " + str(payload.get("template_id", "")), table + Markup(
        "<p class='msg-page'>点开进入：{}</p>"
    ).format(page)


def _private_body(payload: dict) -> tuple[str, Markup]:
    text = (payload.get("text") or {}).get("content", "")
    return "文本", Markup("<p class='msg-text'>{}</p>").format(text)


def describe(row, group_names: dict[str, str]) -> dict:
    """What the page shows for one outbox row."""
    if row.kind == "robot":
        form, body = _robot_body(row.payload or {})
        target = group_names.get(row.target, row.target)
    elif row.kind == "private":
        form, body = _private_body(row.payload or {})
        target = f"企业微信成员 {row.target}"
    else:
        form, body = _subscribe_body(row.payload or {})
        target = f"微信用户 {row.target}"
    return {
        "row": row,
        "kind": outbox.KIND_LABELS.get(row.kind, row.kind),
        "form": form,
        "target": target,
        "status": outbox.STATUS_LABELS.get(row.status, row.status),
        "body": body,
    }
