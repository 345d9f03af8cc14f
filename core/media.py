"""Image uploads: checking, cleaning, re-encoding and storing photos by content hash.

Every way a photo enters the system (the mini-program API, the WeCom bot, import jobs) goes
through `save_image`, so the rules live in one place:

* The type is decided by decoding with Pillow, never by file name or the client's content
  type. Only JPEG, PNG and WebP are accepted; anything else (text, GIF, truncated or corrupt
  data) is refused with 415.
* At most `MAX_UPLOAD_BYTES` (413). The pixel count declared in the header is checked against
  `MAX_IMAGE_PIXELS` before any pixel is decoded, so a few-KB decompression bomb is refused
  (422) without allocating gigabytes.
* EXIF orientation is applied, then every piece of metadata is dropped (EXIF with its GPS
  position and camera serials, XMP, comments). Only the ICC colour profile survives: it
  describes colours, not people or places, and dropping it would visibly shift the colours of
  wide-gamut phone photos.
* The result is re-encoded (long side at most `IMAGE_MAX_SIDE`) plus a thumbnail (long side
  at most `THUMB_MAX_SIDE`), and stored as `MEDIA_DIR/<sha[:2]>/<sha>.<ext>` and
  `<sha>_t.<ext>`, where `sha` is the SHA-256 of the re-encoded main image. The same photo
  uploaded twice is the same `Media` row.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from peewee import IntegrityError
from PIL import Image, ImageOps

from core import audit, faults
from infra.db import Param, Prepared, db, write_transaction
from infra.errors import ApiError
from models import Media, MediaUpload, User

# What Pillow reports for the formats we accept. "MPO" is how Pillow names the JPEGs many
# phones write (a JPEG with an extra depth/preview frame appended); it is a JPEG to everyone.
ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
JPEG_QUALITY = 85
THUMB_QUALITY = 80
# A real colour profile is a few KB; anything far bigger is not worth copying into every file.
MAX_ICC_BYTES = 256 * 1024
MIME_BY_EXT = {"jpg": "image/jpeg", "png": "image/png"}

# Pillow's own errors for data that looks like an image but is not a usable one.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


@dataclass
class _Encoded:
    ext: str
    main: bytes
    thumb: bytes
    width: int
    height: int
    thumb_width: int
    thumb_height: int


def _unsupported() -> ApiError:
    return ApiError(415, "unsupported_media_type", "只支持 JPG、PNG、WebP 格式的图片")


def _too_many_pixels(limit: int) -> ApiError:
    return ApiError(
        422,
        "image_too_large",
        f"图片尺寸过大（超过 {limit // 10_000} 万像素），请缩小后再上传",
    )


def _too_big(limit: int) -> ApiError:
    return ApiError(413, "file_too_large", f"图片不能超过 {limit // (1024 * 1024)} MB")


def init_app(app) -> None:
    """Pillow's own decompression-bomb limit set from `MAX_IMAGE_PIXELS`, not left at its
    default (89 MP): every image this process opens — an upload, a steward's photo drawn on a
    board — warns above it and fails at twice it, which `_process` answers with a 422."""
    Image.MAX_IMAGE_PIXELS = int(app.config["MAX_IMAGE_PIXELS"])


def check_size(size: int) -> None:
    """Refuse a byte count over `MAX_UPLOAD_BYTES` (callers may check before reading it all)."""
    limit = int(current_app.config["MAX_UPLOAD_BYTES"])
    if size > limit:
        raise _too_big(limit)


def save_image(data: bytes, uploader: User | None) -> Media:
    """Check, clean, re-encode and store an uploaded image; return its (possibly existing) row.

    Raises `ApiError` 413 (too many bytes), 415 (not a JPEG/PNG/WebP we can decode),
    422 (too many pixels) or 503 (`MEDIA_DIR` cannot be written). Nothing is written to the
    database when it raises, and nothing but whole files to disk.
    """
    check_size(len(data))
    cfg = current_app.config
    encoded = _process(
        data,
        max_pixels=int(cfg["MAX_IMAGE_PIXELS"]),
        max_side=int(cfg["IMAGE_MAX_SIDE"]),
        thumb_side=int(cfg["THUMB_MAX_SIDE"]),
    )
    sha = hashlib.sha256(encoded.main).hexdigest()

    # Files first, row second: a row must never point at a missing file. If the row then
    # fails, what is left is a content-addressed file nobody references, which is harmless.
    # A disk that is full, read-only or not there is the server's fault: a 503 that says to
    # try later (core.faults), and no row is written.
    folder = Path(cfg["MEDIA_DIR"]) / sha[:2]
    with faults.storage("MEDIA_DIR"):
        _write_once(folder / f"{sha}.{encoded.ext}", encoded.main)
        _write_once(folder / f"{sha}_t.{encoded.ext}", encoded.thumb)

    with write_transaction():
        media = Media.get_or_none(Media.sha256 == sha)
        deduplicated = media is not None
        if media is None:
            try:
                with db.atomic():  # a savepoint, so PostgreSQL survives losing the race
                    media = Media.create(
                        sha256=sha,
                        mime=MIME_BY_EXT[encoded.ext],
                        ext=encoded.ext,
                        width=encoded.width,
                        height=encoded.height,
                        size=len(encoded.main),
                        thumb_width=encoded.thumb_width,
                        thumb_height=encoded.thumb_height,
                        uploaded_by=uploader,
                    )
            except IntegrityError:
                # A concurrent upload of the same photo got there first: same bytes, same row.
                media = Media.get(Media.sha256 == sha)
                deduplicated = True
        if uploader is not None:
            # The same bytes from a second person are theirs to attach too.
            MediaUpload.insert(media=media, user=uploader).on_conflict_ignore().execute()
        audit.record(
            "media.upload",
            "media",
            media.id,
            actor=uploader,
            data={"sha256": sha, "deduplicated": deduplicated},
        )
    return media


# Photos of every item shown and of every report pushed: compiled once per count.
_BY_ID = Prepared(
    lambda: Media.select().where(Media.id.in_(Param("ids", many=True))), many=("ids",)
)


def media_by_id(ids: list[int]) -> dict[int, Media]:
    """The Media rows of `ids` that exist, by id."""
    return {m.id: m for m in _BY_ID.rows(ids=list(ids))} if ids else {}


def media_path(media: Media, thumb: bool = False) -> Path:
    """Where the main image (or its thumbnail) of `media` lives on disk."""
    return Path(current_app.config["MEDIA_DIR"]) / media.sha256[:2] / media_filename(media, thumb)


def media_filename(media: Media, thumb: bool = False) -> str:
    return f"{media.sha256}{'_t' if thumb else ''}.{media.ext}"


def media_url(media: Media, thumb: bool = False) -> str:
    """The relative URL the image is served at (see `miniprogram_api.media_routes`)."""
    return f"/media/{media_filename(media, thumb)}"


def path_for_name(name: str) -> Path:
    """The on-disk path of a served file name (`<sha>[_t].<ext>`, already validated)."""
    return Path(current_app.config["MEDIA_DIR"]) / name[:2] / name


# --- processing -------------------------------------------------------------------------


def _process(data: bytes, *, max_pixels: int, max_side: int, thumb_side: int) -> _Encoded:
    # The explicit pixel check below is what keeps bombs out. Turning Pillow's warning into an
    # error as well covers decoders that re-check sizes internally; catch_warnings is not
    # thread-safe, but losing the filter in a race only weakens this second line, not the first.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            _check_header(data, max_pixels)
            img = _decode(data, max_side)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except _DECODE_ERRORS as exc:
            raise _unsupported() from exc
    # Orientation first, while the decoder's own EXIF reading is still attached to the image.
    img = _apply_orientation(img)
    icc = _usable_icc(img)
    img = _normalise_mode(img)

    main = _fit(img, max_side)
    thumb = _fit(main, thumb_side)
    ext = "png" if main.mode == "RGBA" else "jpg"
    return _Encoded(
        ext=ext,
        main=_encode(main, ext, JPEG_QUALITY, icc),
        thumb=_encode(thumb, ext, THUMB_QUALITY, icc),
        width=main.width,
        height=main.height,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
    )


def _check_header(data: bytes, max_pixels: int) -> None:
    """Identify the format and check the declared size, decoding no pixels yet."""
    img = Image.open(io.BytesIO(data))
    if img.format not in ACCEPTED_FORMATS:
        raise _unsupported()
    width, height = img.size
    if width < 1 or height < 1:
        raise _unsupported()
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels)
    # verify() checks the structure (PNG chunk CRCs, for one) without decoding; it leaves the
    # image unusable, so the real decode opens the data again.
    img.verify()


def _decode(data: bytes, max_side: int) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    # Animated PNG/WebP: only the first frame is kept (load() decodes the current frame).
    if img.format in ("JPEG", "MPO"):
        # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo is far bigger than what
        # we keep: a 48 MP phone photo then never needs 150 MB of pixels.
        img.draft(None, (max_side, max_side))
    img.load()  # raises on truncated or corrupt data
    return img


def _usable_icc(img: Image.Image) -> bytes | None:
    """The source's ICC profile, when it still describes the pixels we will write."""
    icc = img.info.get("icc_profile")
    if not icc or len(icc) > MAX_ICC_BYTES:
        return None
    # A CMYK or greyscale profile would be wrong once the pixels are converted to RGB.
    if img.mode not in ("RGB", "RGBA", "RGBa", "P", "PA"):
        return None
    return icc


def _normalise_mode(img: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image really has transparent pixels.

    Transparent images stay PNG with their alpha: flattening a logo or sticker onto a colour
    we pick is irreversible and looks wrong on any other background. Images whose alpha
    channel is fully opaque (screenshots saved as RGBA) become JPEG like photos, which keeps
    them a fraction of the size.
    """
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale PNG: Pillow would clip it to white; scale it down to 8 bits instead.
        img = img.convert("I").point(lambda v: v / 256).convert("L")
    has_alpha = img.mode in ("RGBA", "RGBa", "LA", "La", "PA") or "transparency" in img.info
    if has_alpha:
        rgba = img.convert("RGBA")
        low, _high = rgba.getchannel("A").getextrema()
        if low < 255:
            return rgba
        return rgba.convert("RGB")
    return img.convert("RGB")


def _apply_orientation(img: Image.Image) -> Image.Image:
    """Turn the pixels the way the camera's EXIF Orientation says; the tag itself goes later."""
    try:
        return ImageOps.exif_transpose(img)
    except _DECODE_ERRORS:
        # Broken EXIF must not make a decodable photo unusable; it is dropped anyway.
        return img


def _fit(img: Image.Image, side: int) -> Image.Image:
    out = img.copy()
    if max(out.size) > side:
        out.thumbnail((side, side), Image.Resampling.LANCZOS)
    return out


def _encode(img: Image.Image, ext: str, quality: int, icc: bytes | None) -> bytes:
    # Pillow copies some metadata from `info` when saving (JPEG comments, PNG text and
    # transparency), and conversions carry `info` along: start from nothing.
    img.info = {}
    params: dict = {}
    if icc:
        params["icc_profile"] = icc
    buf = io.BytesIO()
    if ext == "png":
        img.save(buf, "PNG", **params)
    else:
        img.save(buf, "JPEG", quality=quality, progressive=True, optimize=True, **params)
    return buf.getvalue()


# --- storage ----------------------------------------------------------------------------


def _write_once(path: Path, data: bytes) -> None:
    """Write `path` atomically unless it already exists (content-addressed: same name, same
    bytes). Writing when missing also heals a file lost from disk on a re-upload."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; a web server running as another user must be able to read it.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
