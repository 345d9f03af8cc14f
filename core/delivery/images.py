"""Image messages for the group robot: the webhook body (`base64` of the raw bytes and their
MD5, at most 2 MB), and the reference to an uploaded photo an outbox row holds instead.

A new report's photos are pushed to its group behind the text. Writing each photo's base64
(~300 kB) into the outbox inside the report's transaction made every report a large write
(and, on SQLite, frequent WAL checkpoints of it); the row now names the photo by its content
hash (`{"media": {"sha256": …, "ext": …}}`) and the dispatcher reads the file when it sends
(`expand`). Uploads are content-addressed and never rewritten, so a file whose hash no longer
matches, or that is gone, is not the photo the row meant: that row is dead with the reason,
while a file that cannot be read for now is retried.
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

from flask import current_app
from PIL import Image

IMAGE_MAX_BYTES = 2 * 1024 * 1024
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
SENDABLE_MIMES = ("image/jpeg", "image/png")


class PhotoGone(Exception):
    """The photo a row names is not on disk as it was when queued: never sendable."""


def body(data: bytes) -> dict:
    """The webhook body of an image (PNG or JPEG bytes), re-compressed if over 2 MB."""
    raw = fit_image(data)
    return {
        "msgtype": "image",
        "image": {
            "base64": base64.b64encode(raw).decode("ascii"),
            "md5": hashlib.md5(raw).hexdigest(),
        },
    }


def reference(media) -> dict | None:
    """The outbox payload naming an uploaded photo, or None when it cannot be sent as it is
    (over the size limit, not JPEG/PNG): the caller then queues the bytes themselves."""
    if media.size > IMAGE_MAX_BYTES or media.mime not in SENDABLE_MIMES:
        return None
    return {"msgtype": "image", "image": {"media": {"sha256": media.sha256, "ext": media.ext}}}


def _path(sha256: str, ext: str) -> Path:
    # The layout of core.media.media_path (MEDIA_DIR/<sha[:2]>/<sha>.<ext>), from the row's
    # own fields: the Media row may be gone by the time the message is sent.
    return Path(current_app.config["MEDIA_DIR"]) / sha256[:2] / f"{sha256}.{ext}"


def expand(payload: dict) -> dict:
    """The webhook body to send for an outbox payload: a photo reference becomes the image's
    base64 and MD5; anything else is sent as it is. Raises `PhotoGone` (dead) or `OSError`
    (retry later)."""
    image = payload.get("image") if payload.get("msgtype") == "image" else None
    ref = image.get("media") if isinstance(image, dict) else None
    if ref is None:
        return payload
    sha256, ext = str(ref.get("sha256", "")), str(ref.get("ext", ""))
    try:
        data = _path(sha256, ext).read_bytes()
    except FileNotFoundError as exc:
        raise PhotoGone(f"照片文件已不存在（{sha256[:12]}），未发送") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise PhotoGone(f"照片文件已被改动（{sha256[:12]}），未发送")
    return body(data)


def fit_image(data: bytes, limit: int = IMAGE_MAX_BYTES) -> bytes:
    """The image as JPEG/PNG of at most `limit` bytes: unchanged when it already fits,
    otherwise re-encoded as JPEG, lowering the quality and then the size until it does."""
    if len(data) <= limit and (data.startswith(_PNG_MAGIC) or data.startswith(_JPEG_MAGIC)):
        return data
    with Image.open(io.BytesIO(data)) as opened:
        img = (
            opened.convert("RGBA") if opened.mode in ("RGBA", "LA", "P") else opened.convert("RGB")
        )
    if img.mode == "RGBA":
        flat = Image.new("RGB", img.size, "white")
        flat.paste(img, mask=img.getchannel("A"))
        img = flat
    scale = 1.0
    while True:
        frame = img
        if scale < 1.0:
            size = (max(1, int(img.width * scale)), max(1, int(img.height * scale)))
            frame = img.resize(size, Image.LANCZOS)
        for quality in (85, 75, 65, 55):
            buf = io.BytesIO()
            frame.save(buf, "JPEG", quality=quality, optimize=True)
            if buf.tell() <= limit:
                return buf.getvalue()
        scale *= 0.75
