"""The volunteer and service-record routes' rows of the permission matrix (tests/test_permissions):
who may call each route, and how to build a request for it in the matrix's world (a resident,
a neighbour, a steward of the first alley, staff of the first community, the street's admin)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

from core.people.permissions import Principal
from core.volunteering import records, volunteers
from infra.timeutil import utcnow
from models import ServiceRecord, User

API = "/api/v1"
ROLES = ("anonymous", "resident", "neighbour", "steward", "staff", "admin", "unit")
LOGGED_IN = set(ROLES) - {"anonymous"}
STAFF = {"staff", "admin"}
VOLUNTEERS = {"resident", "neighbour", "steward"}  # the WeChat users, registered below
_seq = itertools.count(1)


def _c1(w):
    return w["district"].communities[0]


def _staff_p(w) -> Principal:
    return Principal.for_user(w["staff"].user)


def _volunteers(w) -> None:
    """Register the three WeChat users as volunteers of the first community (idempotent)."""
    for role in sorted(VOLUNTEERS):
        res = w["client"].post(
            f"{API}/volunteers",
            json={"community_id": _c1(w).id, "name": role, "phone": "13800000000"},
            headers=w["headers"][role],
        )
        assert res.status_code == 201, res.get_json()


def _activity(w, signed_up: bool = False, checked_in: bool = False) -> int:
    """A fresh activity that started ten minutes ago (inside everyone's check-in window)."""
    _volunteers(w)
    start = utcnow() - timedelta(minutes=10)
    res = w["client"].post(
        f"{API}/activities",
        json={
            "community_id": _c1(w).id,
            "title": f"活动{next(_seq)}",
            "place": "广场",
            "starts_at": start.isoformat() + "+00:00",
            "ends_at": (start + timedelta(hours=2)).isoformat() + "+00:00",
            "capacity": 10,
        },
        headers=w["headers"]["staff"],
    )
    activity_id = res.get_json()["id"]
    for role in sorted(VOLUNTEERS) if signed_up else ():
        for step in ("signup", "check-in") if checked_in else ("signup",):
            r = w["client"].post(
                f"{API}/activities/{activity_id}/{step}", json={}, headers=w["headers"][role]
            )
            assert r.status_code == 200, r.get_json()
    return activity_id


def _record(w, *, certified: bool = False, steward: bool = True, user: User | None = None) -> int:
    """A fresh record in the first community (the first steward's, or a user's)."""
    record = ServiceRecord.create(
        community=_c1(w),
        steward=w["district"].stewards[0] if steward and user is None else None,
        user=user,
        person_name="服务人",
        source_type="patrol",
        source_key=f"matrix:{next(_seq)}",
        title="街巷巡查",
        served_on=utcnow().date(),
        hours=Decimal("1.0"),
        organiser=_c1(w).name,
    )
    if certified:
        # Nobody certifies their own hours: the staff member's own record goes to the admin.
        mine = user is not None and user.id == w["staff"].user_id
        certifier = Principal.for_user(w["admin"].user) if mine else _staff_p(w)
        records.certify(certifier, record.id)
    return record.id


def _certificates(w) -> dict:
    """A certified record for every logged-in role's user, so each has a certificate."""
    if not w.get("certified_for_all"):
        users = [w["staff"].user, w["admin"].user]
        for role in sorted(VOLUNTEERS):
            me = w["client"].get(f"{API}/me", headers=w["headers"][role]).get_json()
            users.append(User.get_by_id(me["user"]["id"]))
        for user in users:
            _record(w, certified=True, user=user)
        w["certified_for_all"] = True
    return {}


def _party_member(w) -> int:
    user = User.create(openid=f"matrix-party-{next(_seq)}", nickname="党员")
    unit = volunteers.units_of(_c1(w).id).first() or volunteers.add_unit(
        _staff_p(w), _c1(w).id, "区税务局"
    )
    volunteer = volunteers.register(
        Principal.for_user(user),
        _c1(w).id,
        "党员",
        "13800000001",
        party_member=True,
        unit_id=unit.id,
    )
    return volunteer.id


def _grading(w) -> int:
    volunteer_id = _party_member(w)
    volunteers.review_party_member(_staff_p(w), volunteer_id, True)
    res = w["client"].post(
        f"{API}/party-gradings/propose",
        json={"community_id": _c1(w).id, "year": utcnow().year},
        headers=w["headers"]["staff"],
    )
    return next(r["id"] for r in res.get_json()["items"] if r["volunteer_id"] == volunteer_id)


def _year(w) -> dict:
    return {"query_string": {"community_id": _c1(w).id, "year": utcnow().year}}


SERVICE_MATRIX = {
    ("GET", "/api/v1/volunteers/communities"): (LOGGED_IN, lambda w: {}),
    ("POST", "/api/v1/volunteers"): (
        LOGGED_IN,
        lambda w: {"json": {"community_id": _c1(w).id, "name": "陈晓", "phone": "13800001111"}},
    ),
    ("GET", "/api/v1/volunteers/me"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/volunteers"): (STAFF, lambda w: {}),
    ("POST", "/api/v1/volunteers/{volunteer_id}/party-review"): (
        STAFF,
        lambda w: {
            "path": f"{API}/volunteers/{_party_member(w)}/party-review",
            "json": {"approve": True},
        },
    ),
    ("GET", "/api/v1/service-units"): (
        LOGGED_IN,
        lambda w: {"query_string": {"community_id": _c1(w).id}},
    ),
    ("POST", "/api/v1/service-units"): (
        STAFF,
        lambda w: {"json": {"community_id": _c1(w).id, "name": f"单位{next(_seq)}"}},
    ),
    ("POST", "/api/v1/service-units/{unit_id}/active"): (
        STAFF,
        lambda w: {
            "path": f"{API}/service-units/{volunteers.add_unit(_staff_p(w), _c1(w).id, f'单位{next(_seq)}').id}/active",
            "json": {"active": False},
        },
    ),
    ("POST", "/api/v1/volunteer-teams/{team_id}/active"): (
        STAFF,
        lambda w: {
            "path": f"{API}/volunteer-teams/{volunteers.add_team(_staff_p(w), _c1(w).id, f'队{next(_seq)}').id}/active",
            "json": {"active": False},
        },
    ),
    ("GET", "/api/v1/volunteer-teams"): (
        LOGGED_IN,
        lambda w: {"query_string": {"community_id": _c1(w).id}},
    ),
    ("POST", "/api/v1/volunteer-teams"): (
        STAFF,
        lambda w: {"json": {"community_id": _c1(w).id, "name": f"服务队{next(_seq)}"}},
    ),
    ("POST", "/api/v1/activities"): (
        STAFF,
        lambda w: {
            "json": {
                "community_id": _c1(w).id,
                "title": "义务理发",
                "place": "敬老院",
                "starts_at": "2026-12-05T09:00:00+08:00",
                "ends_at": "2026-12-05T11:00:00+08:00",
                "capacity": 5,
            }
        },
    ),
    ("GET", "/api/v1/activities"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/activities/{activity_id}"): (
        # staff, and the volunteers of its community (everyone but the unit member, who has
        # not registered as one)
        LOGGED_IN - {"unit"},
        lambda w: {"path": f"{API}/activities/{_activity(w)}"},
    ),
    ("POST", "/api/v1/activities/{activity_id}/cancel"): (
        STAFF,
        lambda w: {"path": f"{API}/activities/{_activity(w)}/cancel", "json": {"reason": "下雨"}},
    ),
    ("POST", "/api/v1/activities/{activity_id}/signup"): (
        VOLUNTEERS,
        lambda w: {"path": f"{API}/activities/{_activity(w)}/signup"},
    ),
    ("POST", "/api/v1/activities/{activity_id}/signup/cancel"): (
        VOLUNTEERS,
        lambda w: {"path": f"{API}/activities/{_activity(w, signed_up=True)}/signup/cancel"},
    ),
    ("GET", "/api/v1/activities/{activity_id}/signups"): (
        STAFF,
        lambda w: {"path": f"{API}/activities/{_activity(w)}/signups"},
    ),
    ("POST", "/api/v1/activities/{activity_id}/check-in"): (
        VOLUNTEERS,
        lambda w: {"path": f"{API}/activities/{_activity(w, signed_up=True)}/check-in"},
    ),
    ("POST", "/api/v1/activities/{activity_id}/check-out"): (
        VOLUNTEERS,
        lambda w: {
            "path": f"{API}/activities/{_activity(w, signed_up=True, checked_in=True)}/check-out"
        },
    ),
    ("GET", "/api/v1/service-records"): (LOGGED_IN, lambda w: {}),
    ("GET", "/api/v1/service-records/{record_id}"): (
        {"steward", "staff", "admin"},
        lambda w: {"path": f"{API}/service-records/{_record(w)}"},
    ),
    ("PATCH", "/api/v1/service-records/{record_id}"): (
        STAFF,
        lambda w: {"path": f"{API}/service-records/{_record(w)}", "json": {"hours": 2}},
    ),
    ("POST", "/api/v1/service-records/{record_id}/certify"): (
        STAFF,
        lambda w: {"path": f"{API}/service-records/{_record(w)}/certify"},
    ),
    ("POST", "/api/v1/service-records/certify"): (
        STAFF,
        lambda w: {"json": {"ids": [_record(w)]}},
    ),
    ("POST", "/api/v1/service-records/{record_id}/corrections"): (
        STAFF,
        lambda w: {
            "path": f"{API}/service-records/{_record(w, certified=True)}/corrections",
            "json": {"reason": "重复登记"},
        },
    ),
    # who has certified records (a unit member has none)
    ("GET", "/api/v1/service-records/certificate.pdf"): (LOGGED_IN - {"unit"}, _certificates),
    ("GET", "/api/v1/party-gradings"): (STAFF, _year),
    ("POST", "/api/v1/party-gradings/propose"): (
        STAFF,
        lambda w: {"json": {"community_id": _c1(w).id, "year": utcnow().year}},
    ),
    ("POST", "/api/v1/party-gradings/{grading_id}/confirm"): (
        STAFF,
        lambda w: {"path": f"{API}/party-gradings/{_grading(w)}/confirm", "json": {"grade": "差"}},
    ),
    ("GET", "/api/v1/party-gradings.xlsx"): (STAFF, _year),
}
