"""Events input and output. Inputs forbid unknown fields and never carry the status (it
changes only through publish and cancel) nor, for alliance users, the alliance."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from app.alliances.schemas import Phone, StateCode, Website
from app.core.ids import RowId
from app.core.schemas import ReadModel, StrictInput
from app.core.text import Email as CoreEmail
from app.core.text import MultiLine, SingleLine
from app.core.timestamps import Timestamp
from app.events.models import (
    Attendance,
    DelegateStatus,
    EventKind,
    EventStatus,
    InvitationBasis,
)
from app.events.rules import EventAction


def _strip(value: str) -> str:
    return value.strip()


def _lower(value: str) -> str:
    return value.strip().lower()


def _unique(values: list[int]) -> list[int]:
    if len(set(values)) != len(values):
        raise ValueError("each topic only once")
    return values


Title = Annotated[str, AfterValidator(_strip), SingleLine, Field(min_length=3, max_length=300)]
Summary = Annotated[str, MultiLine, Field(max_length=5000)]
Venue = Annotated[str, AfterValidator(_strip), SingleLine, Field(min_length=2, max_length=300,
                                                      examples=["Hamm"])]
TopicNumber = Annotated[int, Field(ge=1, le=4, description="Zukunftsthema 1-4")]
Topics = Annotated[list[TopicNumber], Field(max_length=4), AfterValidator(_unique)]
Capacity = Annotated[int, Field(ge=1, le=100_000, description="Places for delegates")]
CycleRef = Annotated[str, Field(min_length=1, max_length=20, examples=["2024-25"],
                                description="The award cycle's id, slug or key")]
PersonName = Annotated[str, AfterValidator(_strip), SingleLine, Field(min_length=2, max_length=200)]
Text200 = Annotated[str, AfterValidator(_strip), SingleLine, Field(max_length=200)]
Dietary = Annotated[str, MultiLine, Field(max_length=500)]
Email = Annotated[CoreEmail, AfterValidator(_lower)]


class Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


# --- topics -------------------------------------------------------------------------------------

class FutureTopicRead(ReadModel):
    number: int = Field(examples=[2])
    slug: str = Field(examples=["kinderbetreuung"])
    title: str = Field(examples=["Kinderbetreuung"])


# --- events -------------------------------------------------------------------------------------

class EventCreate(Strict):
    """A new event, created as a draft; publish it to open registration."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "kind": "workshop", "title": "Zukunftswerkstatt Hamm", "cycle": "2024-25",
        "starts_at": "2024-09-12T09:00:00+02:00", "ends_at": "2024-09-12T16:00:00+02:00",
        "registration_closes_at": "2024-09-01T23:59:00+02:00", "venue": "Hamm",
        "state": "DE-NW", "capacity": 40, "topics": [2, 4], "invitation_only": True,
    }]})

    kind: EventKind
    title: Title
    summary: Summary | None = None
    cycle: CycleRef | None = Field(default=None, description="The award cycle the event "
                                   "belongs to (needed to generate invitations)")
    starts_at: Timestamp
    ends_at: Timestamp = Field(description="After starts_at")
    registration_closes_at: Timestamp | None = Field(
        default=None, description="Not after starts_at; default: registration closes when the "
        "event starts")
    venue: Venue | None = Field(default=None, description="A town, or \"online\"")
    state: StateCode | None = None
    online_url: Website | None = None
    capacity: Capacity | None = Field(default=None, description="Default: no limit")
    topics: Topics = Field(default_factory=list, description="Zukunftsthemen by number; "
                           "a workshop needs at least one")
    invitation_only: bool = Field(default=True, description="Only invited alliances see the "
                                  "event and register")
    is_public: bool = Field(default=False, description="Listed in the public calendar once "
                            "published")
    workgroup_id: RowId | None = Field(default=None, description="The Arbeitsrunde the event is "
                                       "held for: generating invitations then invites exactly "
                                       "its active members")


class EventUpdate(Strict):
    """Every field optional; send only what changes. A cancelled event cannot change."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "capacity": 60, "registration_closes_at": "2024-09-05T23:59:00+02:00"}]})

    kind: EventKind | None = None
    title: Title | None = None
    summary: Summary | None = None
    cycle: CycleRef | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    registration_closes_at: Timestamp | None = None
    venue: Venue | None = None
    state: StateCode | None = None
    online_url: Website | None = None
    capacity: Capacity | None = None
    topics: Topics | None = None
    invitation_only: bool | None = None
    is_public: bool | None = None
    workgroup_id: RowId | None = Field(default=None, description="null detaches the event "
                                       "from its workgroup")


class EventCycle(ReadModel):
    id: int
    key: str = Field(examples=["2024/25"])
    slug: str = Field(examples=["2024-25"])


class EventRead(ReadModel):
    id: int
    kind: EventKind
    status: EventStatus
    title: str
    summary: str | None
    cycle: EventCycle | None
    starts_at: datetime
    ends_at: datetime
    registration_closes_at: datetime | None
    registration_open: bool = Field(description="Published and before the registration deadline")
    venue: str | None
    state: str | None
    online_url: str | None
    capacity: int | None
    topics: list[FutureTopicRead]
    invitation_only: bool
    is_public: bool
    workgroup_id: int | None = Field(description="The Arbeitsrunde the event is held for")
    is_full: bool = Field(description="A registration now joins the waiting list: every place "
                          "is taken or delegates are waiting already (false without a "
                          "capacity). Shown to every caller who sees the event")
    allowed_actions: list[EventAction] = Field(
        description="Admins: the status steps possible now (`publish`, `cancel`). Alliance "
        "users: what their alliance can do about taking part now: `register` (a place is "
        "free), `join_waitlist` (the event is full: a delegate registered now joins the "
        "waiting list), or nothing (registration closed, or not invited to an "
        "invitation-only event)")
    invited: bool | None = Field(
        default=None, description="Alliance users: whether their alliance is invited; "
        "null for admins")
    own_delegates: int | None = Field(
        default=None, description="Alliance users: delegates their alliance registered "
        "(withdrawn ones not counted); null for admins")
    registered_count: int | None = Field(
        default=None, description="Admins: delegates registered (not withdrawn); null for "
        "alliance users")
    remaining_capacity: int | None = Field(
        default=None, description="Admins: places left; null without a limit and for "
        "alliance users")
    version: int
    created_at: datetime
    updated_at: datetime


class PublicEventRead(ReadModel):
    """An event in the public calendar: no personal data, no invitation details."""

    id: int
    kind: EventKind
    status: EventStatus
    title: str
    summary: str | None
    cycle_key: str | None
    starts_at: datetime
    ends_at: datetime
    venue: str | None
    state: str | None
    topics: list[FutureTopicRead]


# --- invitations --------------------------------------------------------------------------------

class InvitationAlliance(ReadModel):
    id: int
    name: str
    slug: str
    state: str


class InvitationRead(ReadModel):
    id: int
    event_id: int
    alliance: InvitationAlliance
    basis: InvitationBasis
    invited_by: str
    registered_delegates: int
    created_at: datetime


class InvitationsAdd(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"alliance_ids": [3, 12]}]})

    alliance_ids: list[RowId] = Field(min_length=1, max_length=1000)


class InvitationsAddReport(ReadModel):
    added: list[int] = Field(description="Alliances invited by this call")
    already_invited: list[int] = Field(description="Invited before: kept as they were")
    emails_queued: int = Field(description="Invitation e-mails queued by this call: one per "
                               "contact address of each alliance it invited (0 while the event "
                               "is a draft or registration has closed; older invitations are "
                               "never mailed by it)")


class InvitationBasisCounts(ReadModel):
    future_project: int = 0
    previous_seal: int = 0
    seal: int = 0
    workgroup: int = 0


class InvitationsGenerateReport(ReadModel):
    added: list[int] = Field(description="Alliances invited by this call")
    counts: InvitationBasisCounts = Field(description="Added invitations per basis")
    already_invited: int = Field(description="Invitations that existed before (kept)")
    evaluation_run_id: int | None = Field(description="The run whose invitations to Projekt "
                                          "Zukunft were used (null for a ceremony)")
    previous_cycle_key: str | None = Field(description="The cycle whose seal alliances were "
                                           "invited (null for a ceremony or the first cycle)")
    emails_queued: int = Field(description="Invitation e-mails queued by this call: one per "
                               "contact address of each alliance it invited (0 while the event "
                               "is a draft or registration has closed; older invitations are "
                               "never mailed by it)")


# --- delegates ----------------------------------------------------------------------------------

class DelegateCreate(Strict):
    """A person the alliance sends to the event. Alliance users register for their own
    alliance and leave ``alliance_id`` out; the Servicebüro names the alliance."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "Erika Muster", "function": "Bündniskoordinatorin",
        "email": "erika.muster@familie-hamm.de", "phone": "+49 2381 123456",
        "dietary_needs": "vegetarisch"}]})

    name: PersonName
    function: Text200 | None = None
    email: Email
    phone: Phone | None = None
    dietary_needs: Dietary | None = None
    alliance_id: RowId | None = Field(default=None, description="Admins only (required for them)")


class DelegateUpdate(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"dietary_needs": "vegan"}]})

    name: PersonName | None = None
    function: Text200 | None = None
    phone: Phone | None = None
    dietary_needs: Dietary | None = None


class DelegateAlliance(ReadModel):
    id: int
    name: str


class DelegateRead(ReadModel):
    id: int
    event_id: int
    alliance: DelegateAlliance
    name: str
    function: str | None
    email: str | None = Field(description="Null once erased")
    phone: str | None
    dietary_needs: str | None
    status: DelegateStatus
    registered_by: str
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None
    waiting_position: int | None = Field(
        description="1 for the first in line; null unless the delegate is waitlisted")
    attendance: Attendance | None = Field(description="Recorded by the Servicebüro from the "
                                          "event's start on; null while not recorded")
    attendance_recorded_at: datetime | None


# --- waiting list and attendance ----------------------------------------------------------------

class DelegatePromote(Strict):
    """The Servicebüro moves a waitlisted delegate up by hand."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"exceed_capacity": False}]})

    exceed_capacity: bool = Field(default=False, strict=True, description="Promote even when "
                                  "every place is taken (an explicit override of the capacity)")


class AttendanceSet(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"attendance": "attended"}]})

    attendance: Attendance | None = Field(description="attended, no_show, or null to clear")


class AttendanceItem(Strict):
    delegate_id: RowId
    attendance: Attendance | None


class AttendanceBulk(Strict):
    """All or nothing: one bad item refuses the whole call, each problem at its index."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [
        {"delegate_id": 17, "attendance": "attended"},
        {"delegate_id": 18, "attendance": "no_show"}]}]})

    items: list[AttendanceItem] = Field(min_length=1, max_length=1000)


class EventCounts(ReadModel):
    event_id: int
    capacity: int | None
    registered: int = Field(description="Delegates holding a place")
    waitlisted: int
    withdrawn: int
    attended: int
    no_show: int
    not_recorded: int = Field(description="Registered delegates without attendance yet")
    attendance_open: bool = Field(description="Attendance can be recorded now (the event has "
                                  "begun and is not cancelled)")


class AttendanceReport(ReadModel):
    updated: int = Field(description="Delegates whose attendance changed")
    counts: EventCounts
