import re
from datetime import date, datetime
from typing import Annotated, Literal, cast

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, HttpUrl, model_validator

from app.alliances.models import AllianceLevel, AllianceStatus, LegalForm, PartnerSector
from app.alliances.states import validate_ags

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


Ags = Annotated[str, Field(min_length=8, max_length=8, examples=["09564000"]), AfterValidator(_check_ags)]
Name = Annotated[str, AfterValidator(_strip), Field(min_length=2, max_length=200)]
Text200 = Annotated[str, Field(max_length=200)]
Phone = Annotated[str, Field(max_length=50, pattern=r"^[0-9+()/ .-]{3,50}$")]

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})


def slugify(text: str) -> str:
    ascii_text = text.translate(_UMLAUTS).lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:120] or "buendnis"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PartnerIn(Strict):
    name: Name
    sector: PartnerSector


class PartnerRead(BaseModel):
    id: int
    name: str
    sector: PartnerSector


class ContactIn(Strict):
    name: Name
    function: Text200 | None = None
    email: EmailStr | None = None
    phone: Phone | None = None


class ContactRead(BaseModel):
    id: int
    name: str
    function: str | None
    email: str | None
    phone: str | None


class _AllianceFields(Strict):
    municipality: Text200 | None = None
    district: Text200 | None = None
    region: Text200 | None = Field(default=None, examples=["Metropolregion Nürnberg"])
    legal_form: LegalForm | None = None
    founded_on: date | None = None
    website: HttpUrl | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    listed_in_finder: bool = False
    partners: list[PartnerIn] = Field(default_factory=list, max_length=500)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _founded_not_in_future(self) -> "_AllianceFields":
        if self.founded_on and self.founded_on > date.today():
            raise ValueError("founded_on lies in the future")
        return self


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
    slug: Annotated[str, Field(max_length=120, pattern=SLUG_PATTERN)] | None = Field(
        default=None, description="Derived from the name when omitted"
    )
    ags: Ags | None = None
    state: StateCode | None = Field(default=None, description="Derived from the AGS when given")
    level: AllianceLevel
    status: AllianceStatus = AllianceStatus.active

    @model_validator(mode="after")
    def _state_matches_ags(self) -> "AllianceCreate":
        if self.ags:
            derived = validate_ags(self.ags)
            if self.state and self.state != derived:
                raise ValueError(f"state {self.state} does not match the AGS, which is in {derived}")
            self.state = cast(StateCode, derived)
        if not self.state:
            raise ValueError("state is required when no AGS is given")
        return self


class AllianceUpdate(Strict):
    """Every field optional. Alliance users may change all but the admin-only fields
    (``slug``, ``ags``, ``state``, ``status``, ``level``)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"description": "Wir treffen uns monatlich.",
                                         "website": "https://familie-fuerth.de"}]}
    )

    name: Name | None = None
    slug: Annotated[str, Field(max_length=120, pattern=SLUG_PATTERN)] | None = None
    ags: Ags | None = None
    state: StateCode | None = None
    level: AllianceLevel | None = None
    status: AllianceStatus | None = None
    municipality: Text200 | None = None
    district: Text200 | None = None
    region: Text200 | None = None
    legal_form: LegalForm | None = None
    founded_on: date | None = None
    website: HttpUrl | None = None
    description: Annotated[str, Field(max_length=5000)] | None = None
    listed_in_finder: bool | None = None
    partners: list[PartnerIn] | None = Field(default=None, max_length=500)
    contacts: list[ContactIn] | None = Field(default=None, max_length=50)


ADMIN_ONLY_FIELDS = frozenset({"slug", "ags", "state", "status", "level"})


class AllianceRead(BaseModel):
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


class PublicAllianceRead(BaseModel):
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
