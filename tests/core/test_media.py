"""Photo uploads through the HTTP API: cleaning (EXIF/GPS gone, orientation applied), resizing,
storage by content hash, serving, and every refusal (bombs, oversize, not an image); a photo
is attached only by the one who uploaded it (a report, a wish fulfilled, a bot patrol)."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image, ImageCms

from miniprogram_api import media_routes
from models import Event, Issue, Media, Patrol, Wish
from tests.bot import clients as chatkit
from tests.bot import fixtures as botfix
from tests.factories import (
    API,
    error_envelope,
    login,
    post_issue,
    upload_photo,
)

# The bot's fixtures (tests/bot/fixtures.py), for the bot's own callbacks.
bot_app, world = botfix.bot_app, botfix.world

GPS_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="30,15.175N" exif:GPSLongitude="120,9.5E"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


@pytest.fixture(autouse=True)
def _serve_media(app):
    # app.py wires this up; calling it again is a no-op, and keeps these tests independent.
    media_routes.init_app(app)


@pytest.fixture
def headers(client):
    return login(client, "张三")


# --- building test images ---------------------------------------------------------------


def _encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def _noisy(size: tuple[int, int], mode="RGB") -> Image.Image:
    """Random pixels, so encoded files are big enough to truncate meaningfully."""
    return Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))


def _gps_photo(size=(400, 300), orientation=6) -> bytes:
    """A JPEG as a phone writes it: camera make/model, GPS position, orientation, XMP."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "Canon EOS 5D"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 10.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 9.0, 30.0)
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((30, 30, 200), (0, 0, size[0] // 4, size[1] // 4))  # a marker in the corner
    data = _encode(img, "JPEG", exif=exif, xmp=GPS_XMP, comment=b"taken at home")
    # The fixture really carries what the upload must lose.
    src = Image.open(io.BytesIO(data))
    assert src.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude] == (30, 15, 10.5)
    assert src.getexif()[ExifTags.Base.Orientation] == orientation
    assert b"Exif" in data and b"GPSLatitude" in data
    return data


def _png_bomb(side=20000) -> bytes:
    """A valid 1-bit PNG of side×side pixels (400 MP) that is only a few dozen KB on disk."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    row = b"\x00" + b"\x00" * ((side + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims another size (decoding would need it all)."""
    data = bytearray(_encode(Image.new("RGB", (16, 16), "blue"), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


# --- helpers ----------------------------------------------------------------------------


def _upload(client, data: bytes, headers, filename="x.jpg"):
    return client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(data), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )


def _stored_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _assert_refused(app, res, status: int, code: str):
    assert res.status_code == status, res.get_data(as_text=True)[:300]
    err = res.get_json()["error"]
    assert err["code"] == code
    assert err["message"]
    assert _stored_files(app) == []
    assert Media.select().count() == 0
    return err


def _served(client, url: str):
    res = client.get(url)
    assert res.status_code == 200, url
    return res


# --- accepted uploads -------------------------------------------------------------------


def test_gps_photo_comes_back_clean_and_upright(client, app, headers):
    res = _upload(client, _gps_photo(), headers)
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["mime"] == "image/jpeg"
    assert (body["width"], body["height"]) == (300, 400)  # orientation 6: turned upright
    assert body["url"].startswith("/media/") and body["url"].endswith(".jpg")

    served = _served(client, body["url"])
    assert served.mimetype == "image/jpeg"
    raw = served.data
    for secret in (b"Exif", b"GPS", b"Canon", b"xmpmeta", b"taken at home"):
        assert secret not in raw, secret
    img = Image.open(io.BytesIO(raw))
    assert img.format == "JPEG"
    assert dict(img.getexif()) == {}
    assert "exif" not in img.info and "xmp" not in img.info and "comment" not in img.info
    assert img.size == (300, 400)
    # The blue marker was top-left of the landscape original; rotated 90° clockwise by the
    # orientation tag, it ends up top-right.
    r, g, b = img.convert("RGB").getpixel((img.width - 10, 10))
    assert b > 150 and r < 100

    media = Media.get_by_id(body["id"])
    assert media.width == 300 and media.height == 400
    assert media.uploaded_by.nickname == "张三"
    assert Event.get(Event.action == "media.upload").subject_id == media.id


def test_thumbnail_is_small_and_served(client, app, headers):
    body = _upload(client, _encode(_noisy((1200, 900)), "JPEG"), headers).get_json()
    assert body["thumb_url"] == body["url"].replace(".jpg", "_t.jpg")
    res = _served(client, body["thumb_url"])
    assert res.mimetype == "image/jpeg"
    thumb = Image.open(io.BytesIO(res.data))
    assert max(thumb.size) <= app.config["THUMB_MAX_SIDE"]
    assert thumb.size == (360, 270)
    assert b"Exif" not in res.data


def test_big_photo_is_scaled_to_2560(client, app, headers):
    data = _encode(Image.new("RGB", (5000, 3000), (10, 120, 60)), "JPEG")
    body = _upload(client, data, headers).get_json()
    assert (body["width"], body["height"]) == (2560, 1536)
    img = Image.open(io.BytesIO(_served(client, body["url"]).data))
    assert img.size == (2560, 1536)


def test_files_are_stored_by_content_hash(client, app, headers):
    body = _upload(client, _encode(_noisy((64, 48)), "JPEG"), headers).get_json()
    media = Media.get_by_id(body["id"])
    root = Path(app.config["MEDIA_DIR"])
    main = root / media.sha256[:2] / f"{media.sha256}.jpg"
    thumb = root / media.sha256[:2] / f"{media.sha256}_t.jpg"
    assert _stored_files(app) == sorted([main, thumb])
    assert hashlib.sha256(main.read_bytes()).hexdigest() == media.sha256
    assert media.size == main.stat().st_size
    assert body["url"] == f"/media/{media.sha256}.jpg"


def test_transparent_png_keeps_its_alpha(client, headers):
    img = Image.new("RGBA", (200, 100), (255, 0, 0, 255))
    img.paste((0, 0, 0, 0), (0, 0, 100, 100))  # left half fully transparent
    res = _upload(client, _encode(img, "PNG"), headers, filename="logo.png")
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["mime"] == "image/png" and body["url"].endswith(".png")
    served = _served(client, body["url"])
    assert served.mimetype == "image/png"
    out = Image.open(io.BytesIO(served.data))
    assert out.format == "PNG" and out.mode == "RGBA"
    assert out.getpixel((10, 10))[3] == 0 and out.getpixel((150, 50)) == (255, 0, 0, 255)
    assert _served(client, body["thumb_url"]).mimetype == "image/png"


def test_opaque_rgba_png_becomes_jpeg(client, headers):
    img = Image.new("RGBA", (120, 80), (0, 128, 255, 255))
    body = _upload(client, _encode(img, "PNG"), headers, filename="screenshot.png").get_json()
    assert body["mime"] == "image/jpeg" and body["url"].endswith(".jpg")


def test_webp_is_accepted(client, headers):
    res = _upload(client, _encode(_noisy((320, 240)), "WEBP"), headers, filename="a.webp")
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert (body["width"], body["height"]) == (320, 240)
    assert Image.open(io.BytesIO(_served(client, body["url"]).data)).format == "JPEG"


def test_type_comes_from_the_bytes_not_the_name(client, headers):
    png = _encode(Image.new("RGB", (30, 20), "green"), "PNG")
    res = _upload(client, png, headers, filename="document.txt")
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["mime"] == "image/jpeg"


def test_same_image_twice_is_the_same_row(client, app, headers):
    data = _gps_photo()
    first = _upload(client, data, headers)
    second = _upload(client, data, login(client, "李四"))
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert Media.select().count() == 1
    assert len(_stored_files(app)) == 2
    assert Event.select().where(Event.action == "media.upload").count() == 2


# --- refusals ---------------------------------------------------------------------------


def test_png_bomb_is_refused_without_decoding(client, app, headers):
    bomb = _png_bomb()
    assert len(bomb) < 200_000  # 400 million pixels in a small file
    res = _upload(client, bomb, headers, filename="bomb.png")
    err = _assert_refused(app, res, 422, "image_too_large")
    assert "像素" in err["message"]


def test_bomb_beyond_pillows_own_limit_is_refused(client, app, headers):
    # 65000×65000: Pillow itself raises DecompressionBombError while opening.
    res = _upload(client, _jpeg_declaring(65000, 65000), headers)
    _assert_refused(app, res, 422, "image_too_large")


def test_pillow_bomb_warning_is_a_refusal_too(client, app, headers):
    # With our own check's limit raised after start, Pillow's limit (set from it at start)
    # still refuses.
    app.config["MAX_IMAGE_PIXELS"] = 500_000_000
    res = _upload(client, _jpeg_declaring(10000, 10000), headers)
    _assert_refused(app, res, 422, "image_too_large")


def test_pillows_own_limit_is_the_configured_one(app):
    """Every image the process opens (a steward's photo on a board too) is held to
    MAX_IMAGE_PIXELS (40 MP), not Pillow's default of 89 MP: 49 MP warns."""
    assert Image.MAX_IMAGE_PIXELS == app.config["MAX_IMAGE_PIXELS"] == 40_000_000
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with pytest.raises(Image.DecompressionBombWarning):
            Image.open(io.BytesIO(_jpeg_declaring(7000, 7000)))


def test_file_just_over_10_mb_is_413(client, app, headers):
    data = _encode(Image.new("RGB", (8, 8)), "JPEG")
    data += b"\x00" * (app.config["MAX_UPLOAD_BYTES"] + 1 - len(data))
    assert len(data) == 10 * 1024 * 1024 + 1
    err = _assert_refused(app, _upload(client, data, headers), 413, "file_too_large")
    assert err["message"] == "图片不能超过 10 MB"


def test_12_mb_upload_is_413(client, app, headers):
    data = os.urandom(12 * 1024 * 1024)
    res = _upload(client, data, headers)
    err = _assert_refused(app, res, 413, "file_too_large")
    assert err["message"] == "图片不能超过 10 MB"


def test_text_file_named_jpg_is_415_in_chinese(client, app, headers):
    res = _upload(client, "这不是图片，只是一段文字。\n".encode() * 20, headers, "photo.jpg")
    err = _assert_refused(app, res, 415, "unsupported_media_type")
    assert err["message"] == "只支持 JPG、PNG、WebP 格式的图片"


def test_gif_is_415(client, app, headers):
    gif = _encode(Image.new("P", (20, 20)), "GIF")
    _assert_refused(app, _upload(client, gif, headers, "a.gif"), 415, "unsupported_media_type")


def test_random_bytes_are_415(client, app, headers):
    res = _upload(client, os.urandom(4096), headers)
    _assert_refused(app, res, 415, "unsupported_media_type")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_images_are_415(client, app, headers, fmt):
    data = _encode(_noisy((300, 200)), fmt)
    res = _upload(client, data[: len(data) // 2], headers)
    _assert_refused(app, res, 415, "unsupported_media_type")


def test_anonymous_upload_is_401(client, app):
    res = _upload(client, _gps_photo(), {})
    _assert_refused(app, res, 401, "unauthorized")


def test_missing_file_part_is_400(client, app, headers):
    res = client.post(
        "/api/v1/media",
        data={"other": "x"},
        headers=headers,
        content_type="multipart/form-data",
    )
    err = _assert_refused(app, res, 400, "validation_error")
    assert err["fields"] == {"file": "请选择要上传的图片"}
    empty = _upload(client, b"", headers)
    assert empty.status_code == 400


# --- serving ----------------------------------------------------------------------------


def test_served_files_are_cached_forever(client, headers):
    body = _upload(client, _encode(_noisy((40, 40)), "JPEG"), headers).get_json()
    res = _served(client, body["url"])
    cache = res.headers["Cache-Control"]
    assert "immutable" in cache and "public" in cache and "max-age=31536000" in cache
    assert res.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/media/" + "a" * 64 + ".jpg",  # well-formed, not stored
        "/media/" + "a" * 64 + "_t.png",
        "/media/" + "A" * 64 + ".jpg",
        "/media/" + "a" * 63 + ".jpg",
        "/media/" + "a" * 64 + ".gif",
        "/media/../app.py",
        "/media/..%2Fapp.py",
        "/media/%2e%2e%2fapp.py",
        "/media/..%2F..%2Fetc%2Fpasswd",
        "/media/app.py",
    ],
)
def test_unknown_or_malformed_names_are_404(client, path):
    assert client.get(path).status_code == 404


def test_stored_names_outside_the_pattern_are_not_served(client, app, headers):
    # Files that happen to sit in MEDIA_DIR (temp files, anything else) are never served.
    root = Path(app.config["MEDIA_DIR"])
    (root / "aa").mkdir(parents=True)
    (root / "aa" / "notes.txt").write_text("secret")
    assert client.get("/media/notes.txt").status_code == 404
    assert client.get("/media/aa/notes.txt").status_code == 404


def test_phone_mpo_jpeg_is_accepted(client, headers):
    # Many phones write JPEGs with an extra frame appended; Pillow calls them "MPO".
    first, second = _noisy((200, 150)), _noisy((100, 75))
    data = _encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    res = _upload(client, data, headers)
    assert res.status_code == 201, res.get_json()
    assert (res.get_json()["width"], res.get_json()["height"]) == (200, 150)


def test_colour_profile_is_kept(client, headers):
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = _encode(_noisy((80, 60)), "JPEG", icc_profile=icc)
    body = _upload(client, data, headers).get_json()
    assert Image.open(io.BytesIO(_served(client, body["url"]).data)).info["icc_profile"] == icc


def test_losing_the_race_to_a_concurrent_upload_reuses_its_row(client, headers, monkeypatch):
    data = _encode(_noisy((50, 50)), "JPEG")
    first = _upload(client, data, headers).get_json()
    # The other request inserted the row after our lookup: the insert fails on the unique
    # sha256, and (on PostgreSQL too) the transaction goes on to answer with that row.
    monkeypatch.setattr(Media, "get_or_none", classmethod(lambda cls, *a, **k: None))
    second = _upload(client, data, headers)
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["id"] == first["id"]
    assert Media.select().count() == 1
    events = Event.select().where(Event.action == "media.upload").order_by(Event.id)
    assert [e.data["deduplicated"] for e in events] == [False, True]


def test_a_photo_of_someone_else_is_refused_everywhere(client, district_world):
    theirs = upload_photo(client, district_world["neighbour"], "blue")
    mine = upload_photo(client, district_world["resident"], "red")
    err = error_envelope(post_issue(client, district_world, photo_ids=[theirs]), 400)
    assert "photo_ids" in err["fields"]
    assert Issue.select().count() == 0
    ok = post_issue(client, district_world, photo_ids=[mine])
    assert ok.status_code == 201
    issue_id = ok.get_json()["issue"]["id"] if "issue" in ok.get_json() else ok.get_json()["id"]
    # the same bytes uploaded by a second person are theirs to attach too (one Media row)
    again = upload_photo(client, district_world["neighbour"], "red")
    assert again == mine
    assert (
        post_issue(
            client, district_world, headers=district_world["neighbour"], photo_ids=[mine]
        ).status_code
        == 201
    )

    # wishes, comments, resolve, patrols, fulfil: a steward's or staff's upload is theirs only
    wish = client.post(
        f"{API}/wishes",
        json={
            "board_code": district_world["board"],
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "想要一副老花镜",
            "content": "看报纸看不清",
            "photo_ids": [theirs],
        },
        headers=district_world["resident"],
    )
    assert "photo_ids" in error_envelope(wish, 400)["fields"]
    comment = client.post(
        f"{API}/issues/{issue_id}/comment",
        json={"text": "补充", "photo_ids": [theirs]},
        headers=district_world["resident"],
    )
    assert "photo_ids" in error_envelope(comment, 400)["fields"]
    assert (
        client.post(
            f"{API}/issues/{issue_id}/accept", json={}, headers=district_world["steward"]
        ).status_code
        == 200
    )
    resolve = client.post(
        f"{API}/issues/{issue_id}/resolve",
        json={"note": "已清理", "photo_ids": [theirs]},
        headers=district_world["steward"],
    )
    assert "photo_ids" in error_envelope(resolve, 400)["fields"]
    patrol = client.post(
        f"{API}/patrols",
        json={"note": "巡查", "photo_ids": [theirs]},
        headers=district_world["steward"],
    )
    assert "photo_ids" in error_envelope(patrol, 400)["fields"]
    own = upload_photo(client, district_world["steward"], "yellow")
    assert (
        client.post(
            f"{API}/patrols",
            json={"note": "巡查", "photo_ids": [own]},
            headers=district_world["steward"],
        ).status_code
        == 201
    )
    assert Media.select().count() == 3
    # nothing of the neighbour's blue photo is attached anywhere
    assert all(theirs not in (i.photo_ids or []) for i in Issue.select())


def test_the_bot_patrol_takes_the_senders_own_photos(bot_app, world):
    """The bot's photos are the ones its sender just sent (saved as theirs), so the
    ownership check lets them through; a resident's upload is never among them."""
    client = bot_app.test_client()
    stranger = chatkit.resident()
    theirs = Media.create(
        sha256="f" * 64,
        mime="image/jpeg",
        ext="jpg",
        width=1,
        height=1,
        size=1,
        thumb_width=1,
        thumb_height=1,
        uploaded_by=stranger.user,
    )
    bridge = chatkit.BridgeClient(client, None)
    assert bridge.say("wx_s0", None, images=[chatkit.jpeg("purple")]) is not None
    reply = bridge.say("wx_s0", "巡查 一切正常")
    assert reply.startswith("已登记巡查") and "附照片 1 张" in reply
    patrol = Patrol.get()
    assert len(patrol.photo_ids) == 1 and theirs.id not in patrol.photo_ids
    assert Media.get_by_id(patrol.photo_ids[0]).uploaded_by_id is not None


def test_fulfilling_a_wish_takes_only_the_claimers_photos(client, district_world):
    res = client.post(
        f"{API}/wishes",
        json={
            "board_code": district_world["board"],
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "想要一副老花镜",
            "content": "看报纸看不清",
        },
        headers=district_world["resident"],
    )
    assert res.status_code == 201, res.get_json()
    wish_id = res.get_json()["id"]
    assert (
        client.post(f"{API}/wishes/{wish_id}/approve", headers=district_world["staff"]).status_code
        == 200
    )
    claim = client.post(
        f"{API}/wishes/{wish_id}/claim", json={}, headers=district_world["neighbour"]
    )
    assert claim.status_code == 200, claim.get_json()
    theirs = upload_photo(client, district_world["resident"], "blue")
    res = client.post(
        f"{API}/wishes/{wish_id}/fulfil",
        json={"note": "已送到", "photo_ids": [theirs]},
        headers=district_world["neighbour"],
    )
    assert "photo_ids" in error_envelope(res, 400)["fields"]
    own = upload_photo(client, district_world["neighbour"], "orange")
    res = client.post(
        f"{API}/wishes/{wish_id}/fulfil",
        json={"note": "已送到", "photo_ids": [own]},
        headers=district_world["neighbour"],
    )
    assert res.status_code == 200, res.get_json()
    assert Wish.get_by_id(wish_id).fulfil_photo_ids == [own]
