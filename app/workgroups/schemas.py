"""Workgroups input and output. Inputs forbid unknown fields; an alliance user never names
the alliance (it is theirs), nor a membership's status (it changes only through its steps)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from app.alliances.schemas import Website
from app.core.ids import RowId
from app.core.schemas import ReadModel, StrictInput
from app.core.text import multi_line, single_line
from app.events.schemas import CycleRef, FutureTopicRead, TopicNumber
from app.workgroups.models import MemberBasis, MemberStatus, ResultStatus, WorkgroupStatus
from app.workgroups.rules import MembershipAction


def _one_line(value: str) -> str:
    """A title: stripped; no control, bidi or line-separator characters (app/core/text.py)."""
    return single_line(value.strip())


def _text(value: str) -> str:
    """Free text: line breaks and tabs allowed, no other control or bidi characters."""
    return multi_line(value)


def _unique(values: list[int]) -> list[int]:
    if len(set(values)) != len(values):
        raise ValueError("each alliance only once")
    return values


Title = Annotated[str, Field(min_length=3, max_length=300), AfterValidator(_one_line)]
Region = Annotated[str, Field(min_length=2, max_length=200), AfterValidator(_one_line)]
Description = Annotated[str, Field(max_length=5000), AfterValidator(_text)]
Note = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_text)]
Reason = Annotated[str, Field(min_length=3, max_length=1000), AfterValidator(_text)]
Summary = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_text)]
Markdown = Annotated[str, Field(max_length=50_000), AfterValidator(_text)]
LinkLabel = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
Authors = Annotated[list[RowId], Field(max_length=50), AfterValidator(_unique)]
EditableStatus = Literal["planned", "active", "closed"]


class Strict(StrictInput):
    model_config = ConfigDict(str_strip_whitespace=False)


# --- workgroups ---------------------------------------------------------------------------------

class WorkgroupCreate(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "cycle": "2024-25", "topic": 1, "title": "Arbeitsrunde Pflege und Beruf",
        "description": "Wie Bündnisse pflegende Angehörige im Beruf unterstützen.",
        "region": "Metropolregion Nürnberg", "status": "active"}]})

    cycle: CycleRef
    topic: TopicNumber
    title: Title
    description: Description | None = None
    region: Region | None = Field(default=None, description="e.g. Metropolregion Nürnberg; "
                                  "null: nationwide")
    status: EditableStatus = "planned"


class WorkgroupUpdate(Strict):
    """Send only what changes; the cycle stays (memberships follow its rule)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "closed"}]})

    topic: TopicNumber | None = None
    title: Title | None = None
    description: Description | None = None
    region: Region | None = None
    status: EditableStatus | None = None


class WorkgroupCycle(ReadModel):
    id: int
    key: str = Field(examples=["2024/25"])
    slug: str = Field(examples=["2024-25"])


class WorkgroupRead(ReadModel):
    id: int
    cycle: WorkgroupCycle
    topic: FutureTopicRead
    title: str
    description: str | None
    region: str | None
    status: WorkgroupStatus
    member_count: int = Field(description="Active members")
    my_status: MemberStatus | None = Field(
        description="Alliance users: their alliance's membership status (null: none); "
        "null for admins")
    version: int
    created_at: datetime
    updated_at: datetime


# --- members ------------------------------------------------------------------------------------

class MemberAlliance(ReadModel):
    id: int
    name: str
    slug: str
    state: str


class SharedContact(ReadModel):
    """The contact person an alliance shows the other members (personal data)."""

    id: int
    name: str
    function: str | None
    email: str | None
    phone: str | None


class MemberRead(ReadModel):
    """Admins see every field; fellow members see alliance, status, shared contact and
    joined_at (the other fields are null for them)."""

    alliance: MemberAlliance
    status: MemberStatus
    shared_contact: SharedContact | None
    joined_at: datetime | None
    basis: MemberBasis | None = Field(description="Admins: why the alliance may take part")
    reason: str | None = Field(description="Admins: why it was admitted outside the rule")
    request_note: str | None = Field(description="Admins: the alliance's message with its "
                                     "request")
    note: str | None = Field(description="Admins: the Servicebüro's note on its decision")
    decided_by: str | None
    requested_at: datetime | None
    invited_at: datetime | None
    decided_at: datetime | None
    left_at: datetime | None


class MemberAdd(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "alliance_id": 12, "reason": "Bringt Erfahrung aus dem Modellprojekt Pflege ein."}]})

    alliance_id: RowId
    reason: Reason | None = Field(default=None, description="Required when the alliance is not "
                                  "eligible by the rule; recorded in the audit trail")


class MemberDecision(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "note": "Willkommen in der Arbeitsrunde!"}]})

    note: Note | None = Field(default=None, description="Shown to the alliance")


class MemberBasisCounts(ReadModel):
    future_project: int = 0
    previous_seal: int = 0


class InviteReport(ReadModel):
    added: list[int] = Field(description="Alliances invited by this call")
    counts: MemberBasisCounts = Field(description="Invitations added per basis")
    already: int = Field(description="Eligible alliances with a membership already (of any "
                         "status: kept as it is, a declined or left one is not invited again)")
    emails_queued: int = Field(description="Invitation e-mails queued (one per contact address "
                               "of each invited alliance)")
    evaluation_run_id: int = Field(description="The run whose invitations to Projekt Zukunft "
                                   "were used (without one the call is refused)")
    previous_cycle_key: str | None


# --- the alliance's own membership ---------------------------------------------------------------

class JoinRequest(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "note": "Wir arbeiten seit 2022 an Angeboten für pflegende Angehörige."}]})

    note: Note | None = Field(default=None, description="A message to the Servicebüro")


class MembershipUpdate(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"shared_contact_id": 7}]})

    shared_contact_id: RowId | None = Field(description="One of the alliance's contact persons, "
                                            "shown to the other members; null: nobody")


class MembershipRead(ReadModel):
    workgroup_id: int
    alliance_id: int
    status: MemberStatus | None = Field(description="null: no membership yet")
    eligible: bool = Field(description="The alliance may ask to join by the rule")
    eligibility_basis: MemberBasis | None
    refusal: str | None = Field(description="Why the alliance may not ask to join now")
    request_note: str | None
    note: str | None = Field(description="The Servicebüro's note on its decision")
    shared_contact: SharedContact | None
    requested_at: datetime | None
    invited_at: datetime | None
    decided_at: datetime | None
    joined_at: datetime | None
    left_at: datetime | None
    allowed_actions: list[MembershipAction] = Field(
        description="What the alliance can do now: `request` (ask to join), "
        "`accept_invitation` (joins at once), `leave` (withdraw a request, turn down an "
        "invitation, or leave)")


# --- results ------------------------------------------------------------------------------------

class ResultLink(Strict):
    label: LinkLabel
    url: Website


class ResultCreate(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "title": "Leitfaden: Pflegefreundliche Arbeitgeber vor Ort",
        "summary": "Zehn Schritte, mit denen Bündnisse Betriebe für pflegende Beschäftigte "
                   "gewinnen.",
        "body": "## Ausgangslage\n\n…", "links": [
            {"label": "Leitfaden (PDF)", "url": "https://www.example.org/leitfaden.pdf"}],
        "authors": [2, 12]}]})

    title: Title
    summary: Summary
    body: Markdown = ""
    links: list[ResultLink] = Field(default_factory=list, max_length=20)
    authors: Authors | None = Field(default=None, description="Alliances (active members); "
                                    "default: the caller's alliance (none for admins)")


class ResultUpdate(Strict):
    title: Title | None = None
    summary: Summary | None = None
    body: Markdown | None = None
    links: list[ResultLink] | None = Field(default=None, max_length=20)
    authors: Authors | None = None


class ResultAuthor(ReadModel):
    id: int
    name: str


class ResultRead(ReadModel):
    id: int
    workgroup_id: int
    workgroup_title: str
    topic: FutureTopicRead
    title: str
    summary: str
    body: str = Field(description="Markdown")
    links: list[ResultLink]
    authors: list[ResultAuthor]
    status: ResultStatus
    published_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class PublicResultRead(ReadModel):
    """A published result in the public list: title, summary, topic, no body."""

    id: int
    title: str
    summary: str
    topic: FutureTopicRead
    workgroup_title: str
    cycle_key: str
    published_at: datetime
