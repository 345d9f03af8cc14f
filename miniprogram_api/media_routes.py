"""Uploading photos (`POST /api/v1/media`) and serving them back (`GET /media/<name>`).

The checking, cleaning and storing is `core.media.save_image`; this module only moves bytes
between HTTP and that service. Served file names are content hashes, so a URL never changes
meaning and browsers may cache it forever.
"""

from __future__ import annotations

import re

from flask import Flask, abort, current_app, request, send_file
from pydantic import BaseModel, Field
from werkzeug.exceptions import RequestEntityTooLarge

from core import media as media_service
from infra.errors import bad_request
from miniprogram_api.context import current_principal
from miniprogram_api.router import Router

router = Router("media")

SERVED_NAME = re.compile(r"^[0-9a-f]{64}(_t)?\.(jpg|png)$")
SERVED_MIME = {"jpg": "image/jpeg", "png": "image/png"}
ONE_YEAR = 365 * 24 * 3600


class MediaOut(BaseModel):
    id: int
    url: str = Field(description="原图地址（相对路径，长边不超过 2560 像素）")
    thumb_url: str = Field(description="缩略图地址（相对路径，长边不超过 360 像素）")
    width: int
    height: int
    mime: str = Field(description="image/jpeg 或 image/png")


def media_out(m) -> dict:
    return {
        "id": m.id,
        "url": media_service.media_url(m),
        "thumb_url": media_service.media_url(m, thumb=True),
        "width": m.width,
        "height": m.height,
        "mime": m.mime,
    }


@router.post(
    "/media",
    summary="上传一张图片（JPG、PNG、WebP，不超过 10 MB）",
    content_type="multipart/form-data",
    response=MediaOut,
    status=201,
    errors=(400, 413, 415, 422),
)
def upload_media():
    """表单字段 `file`。图片会去除 EXIF（含位置信息）、按拍摄方向摆正、重新压缩；
    同一张图片重复上传返回同一条记录。"""
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        # The body is over MAX_CONTENT_LENGTH: same answer as a file just over the limit, so
        # clients handle one code for "too big" whatever the margin.
        media_service.check_size(request.content_length or 0)
        raise
    # Read one byte past the limit: enough to know it is too big without reading more.
    data = upload.stream.read(int(current_app.config["MAX_UPLOAD_BYTES"]) + 1) if upload else b""
    if not data:
        raise bad_request("请选择要上传的图片", {"file": "请选择要上传的图片"})
    saved = media_service.save_image(data, current_principal().user)
    return media_out(saved)


def serve_media(name: str):
    """A stored image or thumbnail; anything but a well-formed content-hash name is 404."""
    match = SERVED_NAME.match(name)
    if match is None:
        abort(404)
    path = media_service.path_for_name(name)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=SERVED_MIME[match.group(2)], max_age=ONE_YEAR)
    # The name is the hash of the bytes: the content behind a URL can never change.
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def init_app(app: Flask) -> None:
    """Serve `/media/<name>` from MEDIA_DIR (outside `/api`, so plain `<image src>` works)."""
    if "media_file" in app.view_functions:
        return  # already registered (idempotent, so tests may call it too)
    app.add_url_rule("/media/<name>", endpoint="media_file", view_func=serve_media)
