"""Volunteers and their service (志愿服务): 双报到 units, volunteer teams, volunteers, activities
and sign-ups, service records (hours, certified by staff) and the year-end grading of in-service
party members.

A service record is the unit of 民政部令第67号's "whoever organises the service records it,
whoever records it certifies it": `core.volunteering.records` creates it from a fulfilled wish, an
activity attendance or a patrol day, staff certify it, and once certified it is never changed —
a correction is a new record with negative hours that `reverses` it.
"""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from infra.timeutil import utcnow
from models import Area, BaseModel, JSONField, Steward, User
from models.timebank import PointEntry

PARTY_STATUSES = ("none", "pending", "confirmed", "rejected")
RECORD_SOURCES = ("wish", "activity", "patrol")
RECORD_STATUSES = ("pending", "certified")
GRADES = ("好", "较好", "一般", "差")


class ServiceUnit(BaseModel):
    """A 双报到 unit: the employer whose in-service party members report to this community."""

    community = ForeignKeyField(Area, backref="service_units", on_delete="RESTRICT")
    name = CharField(max_length=100)
    contact_name = CharField(max_length=50, default="")
    phone = CharField(max_length=32, default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("community", "name"), True),)


class VolunteerTeam(BaseModel):
    """A 志愿服务队 of the community (e.g. 夕阳红巡逻队, 党员先锋队)."""

    community = ForeignKeyField(Area, backref="volunteer_teams", on_delete="RESTRICT")
    name = CharField(max_length=100)
    leader_name = CharField(max_length=50, default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("community", "name"), True),)


class Volunteer(BaseModel):
    """A WeChat user registered as a volunteer of one community. `phone` is private: shown only
    to the volunteer and the community's staff."""

    user = ForeignKeyField(User, backref="volunteers", on_delete="RESTRICT")
    community = ForeignKeyField(Area, backref="volunteers", on_delete="RESTRICT")
    name = CharField(max_length=50)
    phone = CharField(max_length=20)
    skills = JSONField(default=list)  # short words: 理发, 维修, 陪伴 …
    team = ForeignKeyField(VolunteerTeam, null=True, backref="members", on_delete="SET NULL")
    party_member = BooleanField(default=False)  # registers as an in-service party member
    unit = ForeignKeyField(ServiceUnit, null=True, backref="members", on_delete="RESTRICT")
    party_status = CharField(max_length=16, default="none")  # PARTY_STATUSES
    party_reviewed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    party_reviewed_at = DateTimeField(null=True)
    party_note = CharField(max_length=200, default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "community"), True), (("community", "party_status"), False))


class Activity(BaseModel):
    """A volunteer activity published by staff. `signed_up` counts active sign-ups and is only
    moved by a conditional UPDATE (`signed_up < capacity`), so the last place has one winner."""

    community = ForeignKeyField(Area, backref="activities", on_delete="RESTRICT")
    title = CharField(max_length=60)
    place = CharField(max_length=100)
    description = TextField(default="")
    starts_at = DateTimeField()  # naive UTC
    ends_at = DateTimeField()
    capacity = IntegerField()
    signed_up = IntegerField(default=0)
    status = CharField(max_length=16, default="published")  # published | cancelled
    created_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("community", "starts_at"), False),)


class ActivitySignup(BaseModel):
    """A volunteer's place in an activity, and their attendance on the day."""

    activity = ForeignKeyField(Activity, backref="signups", on_delete="CASCADE")
    volunteer = ForeignKeyField(Volunteer, backref="signups", on_delete="CASCADE")
    status = CharField(max_length=16, default="signed_up")  # signed_up | cancelled
    checked_in_at = DateTimeField(null=True)
    checked_out_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("activity", "volunteer"), True),)


class ServiceRecord(BaseModel):
    """Hours of service by one person (a user — volunteer, party member — or a steward record).

    `source_key` makes each source count once ("wish:12", "activity:3:signup:8",
    "patrol:4:2026-12-01", "correction:17"). A correction has `reverses` set and negative hours.
    """

    community = ForeignKeyField(Area, backref="service_records", on_delete="RESTRICT")
    user = ForeignKeyField(User, null=True, backref="service_records", on_delete="RESTRICT")
    steward = ForeignKeyField(Steward, null=True, backref="service_records", on_delete="RESTRICT")
    volunteer = ForeignKeyField(Volunteer, null=True, backref="records", on_delete="SET NULL")
    person_name = CharField(max_length=50)
    source_type = CharField(max_length=16)  # RECORD_SOURCES
    source_id = IntegerField(null=True)
    source_key = CharField(max_length=96, unique=True)
    title = CharField(max_length=100)  # what was done
    served_on = DateField()  # local date of the service
    hours = DecimalField(max_digits=7, decimal_places=1, auto_round=True)
    status = CharField(max_length=16, default="pending")  # RECORD_STATUSES
    organiser = CharField(max_length=100)  # 组织单位: the community that organised it
    reason = CharField(max_length=200, default="")  # why (corrections)
    reverses = ForeignKeyField("self", null=True, unique=True, on_delete="RESTRICT")
    certified_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    certified_by_label = CharField(max_length=100, default="")
    certified_at = DateTimeField(null=True)
    entry = ForeignKeyField(PointEntry, null=True, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("community", "status", "served_on"), False),
            (("user", "served_on"), False),
            (("steward", "served_on"), False),
        )


class PartyGrading(BaseModel):
    """The year-end grading (年度评定) of an in-service party member: the grade proposed from
    their certified hours and the grade staff confirmed (with a reason when they differ)."""

    volunteer = ForeignKeyField(Volunteer, backref="gradings", on_delete="CASCADE")
    year = IntegerField()
    hours = DecimalField(max_digits=8, decimal_places=1, auto_round=True)
    proposed = CharField(max_length=8)  # GRADES
    grade = CharField(max_length=8, null=True)  # confirmed grade
    reason = CharField(max_length=200, default="")
    confirmed_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    confirmed_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("volunteer", "year"), True),)


MODELS = [
    ServiceUnit,
    VolunteerTeam,
    Volunteer,
    Activity,
    ActivitySignup,
    ServiceRecord,
    PartyGrading,
]
