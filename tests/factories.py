"""Test data builders and login helpers (going through the real API, never around it)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import ExifTags, Image

from core.boards import boards
from core.people import areas, auth
from models import Area, Board, StaffAccount, Steward, StewardAlley

_phone_seq = iter(range(17000000001, 17099999999))


def next_phone() -> str:
    return str(next(_phone_seq))


@dataclass
class District:
    street: Area
    communities: list[Area] = field(default_factory=list)
    grids: list[Area] = field(default_factory=list)
    alleys: list[Area] = field(default_factory=list)
    stewards: list[Steward] = field(default_factory=list)
    boards: list[Board] = field(default_factory=list)


def make_district(street_name="示范街道", communities=2, alleys_per_community=2) -> District:
    """A street with N communities, one grid each, and alleys with one steward and board each."""
    street, _ = areas.child(None, "street", street_name)
    d = District(street=street)
    for ci in range(communities):
        community, _ = areas.child(street, "community", f"第{ci + 1}社区")
        d.communities.append(community)
        grid, _ = areas.child(community, "grid", f"第{ci + 1}网格")
        d.grids.append(grid)
        for ai in range(alleys_per_community):
            alley, _ = areas.child(grid, "alley", f"{ci + 1}区{ai + 1}巷")
            d.alleys.append(alley)
            steward = Steward.create(name=f"管家{ci + 1}{ai + 1}", phone=next_phone())
            StewardAlley.create(steward=steward, alley=alley)
            d.stewards.append(steward)
            d.boards.append(boards.create_board(alley))
    return d


def make_staff(area: Area, role="staff", username=None, password="password123") -> StaffAccount:
    username = username or f"{role}{area.id}-{StaffAccount.select().count() + 1}"
    return auth.create_staff(username, password, area, role)


def login(client, name: str) -> dict:
    """Offline-mode login as `dev:<name>`; returns the Authorization header."""
    res = client.post("/api/v1/auth/login", json={"code": f"dev:{name}"})
    assert res.status_code == 200, res.get_json()
    return {"Authorization": f"Bearer {res.get_json()['token']}"}


def login_staff(client, account: StaffAccount, password="password123") -> dict:
    res = client.post(
        "/api/v1/auth/password", json={"username": account.username, "password": password}
    )
    assert res.status_code == 200, res.get_json()
    return {"Authorization": f"Bearer {res.get_json()['token']}"}


def login_steward(client, steward: Steward, name: str | None = None) -> dict:
    """Log in a WeChat user and bind them to `steward` with a freshly issued code."""
    headers = login(client, name or f"steward-{steward.id}")
    code, _ = auth.issue_bind_code(steward=steward, issued_by="test")
    res = client.post("/api/v1/auth/bind", json={"code": code}, headers=headers)
    assert res.status_code == 200, res.get_json()
    return headers


def make_world(
    client,
    *,
    residents: dict[str, str] | None = None,
    stewards: dict[str, int] | None = None,
    staff: dict[str, int | tuple[int, str]] | None = None,
    admins: dict[str, str | None] | None = None,
    district: District | None = None,
) -> dict:
    """A district and the people a test acts as, logged in through the API.

    `residents` maps a key to a WeChat nickname, `stewards` a key to the index of a district
    steward, `staff` a key to the index of a community (an account there is created; a pair
    (index, username) names it), `admins`
    a key to a username (None: generated) for an admin of the street. The result holds the
    district under "d", each login's headers under its key, and each staff or admin account
    under "<key>_account". Accounts are created first, then logins in the order given.
    """
    d = district or make_district()
    w: dict = {"d": d}
    for key, where in (staff or {}).items():
        community, username = where if isinstance(where, tuple) else (where, None)
        w[f"{key}_account"] = make_staff(d.communities[community], username=username)
    for key, username in (admins or {}).items():
        w[f"{key}_account"] = make_staff(d.street, role="admin", username=username)
    for key, name in (residents or {}).items():
        w[key] = login(client, name)
    for key, index in (stewards or {}).items():
        w[key] = login_steward(client, d.stewards[index])
    for key in [*(staff or {}), *(admins or {})]:
        w[key] = login_staff(client, w[f"{key}_account"])
    return w


API = "/api/v1"


def api_post(client, path, headers, body=None, status=200):
    """POST to the API and check the status; returns the JSON body."""
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, (path, res.status_code, res.get_json())
    return res.get_json()


def report_issue(client, w, alley=0, who="resident"):
    """`w[who]` reports 巷口垃圾 on the board of `w["d"]`'s alley `alley`; returns its id."""
    body = {"board_code": w["d"].boards[alley].code, "category": "环境卫生", "content": "巷口垃圾"}
    return api_post(client, "/issues", w[who], body, status=201)["id"]


def open_wish(client, w, alley=0, *, publish=True):
    """`w["resident"]` posts a wish on alley `alley`; published by that community's staff
    (`w["staff_x"]` for the first two alleys, `w["staff_y"]` after) unless `publish` is False."""
    body = {
        "board_code": w["d"].boards[alley].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "一台收音机",
        "content": "想听戏",
    }
    wish_id = api_post(client, "/wishes", w["resident"], body, status=201)["id"]
    if publish:
        staff = "staff_x" if alley < 2 else "staff_y"
        api_post(client, f"/wishes/{wish_id}/approve", w[staff])
    return wish_id


def api_refusal(client, path, headers, body=None) -> tuple[int, str, str]:
    """POST to the API expecting a refusal: (status, error code, message)."""
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    err = res.get_json()["error"]
    return res.status_code, err["code"], err["message"]


def my_user_id(client, headers) -> int:
    """The user id behind a login's headers, as /me reports it."""
    return client.get(f"{API}/me", headers=headers).get_json()["user"]["id"]


def post_issue(client, w, headers=None, **extra):
    """A report on `w["board"]` (by `w["resident"]` unless `headers`); returns the response."""
    body = {"board_code": w["board"], "category": "环境卫生", "content": "南门巷口垃圾堆放"}
    body.update(extra)
    return client.post(f"{API}/issues", json=body, headers=headers or w["resident"])


def error_envelope(res, status, code=None) -> dict:
    """Check `res` is the API's error envelope with `status` (and `code`); returns the error."""
    assert res.status_code == status, (res.status_code, res.get_data(as_text=True)[:300])
    err = res.get_json()["error"]
    assert set(err) >= {"code", "message", "fields"} and err["message"]
    if code:
        assert err["code"] == code, err
    return err


def jpeg_bytes(color) -> bytes:
    """A small JPEG of one colour."""
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, "JPEG")
    return buf.getvalue()


def gps_jpeg(size=(400, 300)) -> bytes:
    """A JPEG as a phone writes it: camera make and model and the GPS position in its EXIF
    (checked to be there, so a test that finds them gone proves they were removed)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Model] = "Canon EOS 5D"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 15.0, 10.5)
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, "JPEG", exif=exif)
    data = buf.getvalue()
    assert b"Exif" in data and b"Canon" in data
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def upload_photo(client, headers, color="green") -> int:
    """Upload a photo as `headers`; returns the media id."""
    res = client.post(
        f"{API}/media",
        data={"file": (io.BytesIO(jpeg_bytes(color)), "p.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def submit_issue(client, headers, board, content="南门巷口垃圾堆放三天了") -> dict:
    """A 环境卫生 report on board code `board` as `headers`; returns the created issue's JSON."""
    body = {"board_code": board, "category": "环境卫生", "content": content}
    res = client.post(f"{API}/issues", json=body, headers=headers)
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def at_once(app, action, n: int = 2) -> list[str]:
    """Run `action()` in `n` threads released together, each with its own connection; returns
    each one's outcome ("ok" or the refusal's code), for "two at once, one winner" tests.
    Bounded: a thread that never reaches the start or never ends fails the test, never hangs it."""
    import threading

    from infra.db import db
    from infra.errors import ApiError

    outcomes: list[str] = []
    start = threading.Barrier(n, timeout=10)

    def press():
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                start.wait()
                action()
                outcomes.append("ok")
            except ApiError as exc:
                outcomes.append(exc.code)
            finally:
                db.close()

    threads = [threading.Thread(target=press, daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a racing thread did not finish in 30 s"
    return outcomes
