import re
from datetime import date, datetime
from typing import Annotated, Any, Literal, cast

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    HttpUrl,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from app.alliances.models import AllianceLevel, AllianceStatus, LegalForm, PartnerSector
from app.alliances.states import validate_ags
from app.core.schemas import ReadModel, StrictInput
from app.core.text import Email, MultiLine, SingleLine

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
StateCode = Literal[
    "DE-SH", "DE-HH", "DE-NI", "DE-HB", "DE-NW", "DE-HE", "DE-RP", "DE-BW",
    "DE-BY", "DE-SL", "DE-BE", "DE-BB", "DE-MV", "DE-SN", "DE-ST", "DE-TH",
]


def _check_ags(value: str | None) -> str | None:
    if value is not None:
        validate_ags(value)
    return value


def _strip(value: str) -> str:
    return value.strip()


_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def _check_website(value: str) -> str:
    """Accept only http(s) URLs but keep the text as given: pydantic's normalised form (a
    trailing slash, a lower-cased host) would make every re-import of the same file an update."""
    try:
        _HTTP_URL.validate_python(value)
    except ValidationError as exc:
        raise ValueError(f"not an http(s) URL: {exc.errors()[0]['msg']}") from None
    return value


def _not_in_future(value: date) -> date:
    if value > date.today():
        raise ValueError("founded_on lies in the future")
    return value


Ags = Annotated[str, Field(min_length=8, max_length=8, examples=["09564000"]), AfterValidator(_check_ags)]
Name = Annotated[str, AfterValidator(_strip), SingleLine, Field(min_length=2, max_length=200)]
Text200 = Annotated[str, SingleLine, Field(max_length=200)]
Phone = Annotated[str, Field(max_length=50, pattern=r"^[0-9+()/ .-]{3,50}$")]
Website = Annotated[
    str,
    Field(min_length=1, max_length=500, examples=["https://familie-fuerth.de"],
          json_schema_extra={"format": "uri"}),
    AfterValidator(_check_website),
]
FoundedOn = Annotated[date, AfterValidator(_not_in_future)]
Slug = Annotated[str, Field(max_length=120, pattern=SLUG_PATTERN)]
Description = Annotated[str, MultiLine, Field(max_length=5000)]

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slugify(text: str) -> str:
    ascii_text = text.translate(_UMLAUTS).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:120] or "buendnis"


class Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


class PartnerIn(Strict):
    name: Name
    sector: PartnerSector


class PartnerRead(ReadModel):
    id: int
    name: str
    sector: PartnerSector


class ContactIn(Strict):
    name: Name
    function: Text200 | None = None
    email: Email | None = None
    phone: Phone | None = None
    accepts_mail: bool = Field(
        default=True, description="False: the Servicebüro sends this person no e-mail (survey "
        "notices, reminders, event and workgroup invitations); the address stays on record")


class ContactRead(ReadModel):
    id: int
    name: str
    function: str | None
    email: str | None
    phone: str | None
    accepts_mail: bool


class _AllianceFields(Strict):
    municipality: Text200 | None = None
    district: Text200 | None = None
    region: Text200 | None = Field(default=None, examples=["Metropolregion Nürnberg"])
    legal_form: LegalForm | None = None
    founded_on: FoundedOn | None = None
    website: Website | None = None
    description: Description | None = None
    listed_in_finder: bool = False
    partners: list[PartnerIn] = Field(default_factory=list, max_length=500)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)


# Validation context key: the import checks rows before it knows whether they update an
# existing alliance (which keeps its state) or create one (which needs a state).
STATE_MAY_BE_MISSING = "state_may_be_missing"


class AllianceCreate(_AllianceFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{
                "name": "Lokales Bündnis für Familie Fürth",
                "ags": "09563000", "municipality": "Fürth", "level": "city",
                "region": "Metropolregion Nürnberg", "legal_form": "working_group",
                "founded_on": "2005-03-01", "listed_in_finder": True,
                "partners": [{"name": "Stadt Fürth", "sector": "municipality"}],
                "contacts": [{"name": "Erika Muster", "function": "Koordinatorin",
                              "email": "erika.muster@example.org"}],
            }]
        }
    )

    name: Name
    slug: Slug | None = Field(default=None, description="Derived from the name when omitted")
    ags: Ags | None = None
    # Declared after ``ags``: the validator below reads the validated AGS.
    state: StateCode | None = Field(
        default=None, validate_default=True,
        description="Derived from the AGS when given; required without one",
    )
    level: AllianceLevel
    status: AllianceStatus = AllianceStatus.active

    @field_validator("state")
    @classmethod
    def _state_matches_ags(cls, state: StateCode | None, info: ValidationInfo) -> StateCode | None:
        # A field validator (not a model validator) so that the error's loc names ``state``.
        if "ags" not in info.data:
            return state  # the AGS itself is invalid and already reported
        derived = _state_of(info.data["ags"], state)
        if derived is None and not (info.context or {}).get(STATE_MAY_BE_MISSING):
            raise ValueError("state is required when no AGS is given")
        return derived


def _state_of(ags: str | None, state: StateCode | None) -> StateCode | None:
    """The Land an alliance lies in: derived from the AGS, which a given state must match."""
    if not ags:
        return state
    derived = validate_ags(ags)
    if state and state != derived:
        raise ValueError(f"state {state} does not match the AGS {ags}, which lies in {derived}")
    return cast(StateCode, derived)  # validate_ags returns one of STATE_BY_AGS_PREFIX's codes


# Columns that are NOT NULL: a PATCH may leave them out but not set them to null.
NOT_NULL_FIELDS = ("name", "slug", "state", "level", "status", "listed_in_finder",
                   "partners", "contacts")


class AllianceUpdate(Strict):
    """Every field optional. Alliance users may change all but the admin-only fields
    (``slug``, ``ags``, ``state``, ``status``, ``level``)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"description": "Wir treffen uns monatlich.",
                                         "website": "https://familie-fuerth.de"}]}
    )

    name: Name | None = None
    slug: Slug | None = None
    ags: Ags | None = Field(default=None, description="null removes the AGS; the state stays")
    state: StateCode | None = Field(default=None, description="Must match the AGS when one is set")
    level: AllianceLevel | None = None
    status: AllianceStatus | None = None
    municipality: Text200 | None = None
    district: Text200 | None = None
    region: Text200 | None = None
    legal_form: LegalForm | None = None
    founded_on: FoundedOn | None = None
    website: Website | None = None
    description: Description | None = None
    listed_in_finder: bool | None = None
    partners: list[PartnerIn] | None = Field(
        default=None, max_length=500, description="Replaces the whole list"
    )
    contacts: list[ContactIn] | None = Field(
        default=None, max_length=50, description="Replaces the whole list"
    )

    @field_validator(*NOT_NULL_FIELDS, mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Leaving a field out keeps it; null would break a NOT NULL column (a 500 before).
        if value is None:
            raise ValueError("may not be null; leave the field out to keep its value")
        return value

    @field_validator("state")
    @classmethod
    def _state_matches_ags(cls, state: StateCode | None, info: ValidationInfo) -> StateCode | None:
        # Only when both come in one body; the service checks a lone state against the stored AGS.
        if info.data.get("ags"):
            return _state_of(info.data["ags"], state)
        return state


ADMIN_ONLY_FIELDS = frozenset({"slug", "ags", "state", "status", "level"})


class AllianceRead(ReadModel):
    id: int
    name: str
    slug: str
    ags: str | None
    municipality: str | None
    district: str | None
    state: str
    region: str | None
    level: AllianceLevel
    legal_form: LegalForm | None
    founded_on: date | None
    website: str | None
    description: str | None
    status: AllianceStatus
    listed_in_finder: bool
    partner_count: int
    partners: list[PartnerRead]
    contacts: list[ContactRead] | None = Field(
        description="Personal data: only for admins and the alliance's own users, else null"
    )
    version: int
    created_at: datetime
    updated_at: datetime


class PublicAllianceRead(ReadModel):
    """What the public alliance finder shows: no personal data."""

    id: int
    name: str
    slug: str
    municipality: str | None
    district: str | None
    state: str
    region: str | None
    level: AllianceLevel
    founded_on: date | None
    website: str | None
    description: str | None
    partner_count: int
