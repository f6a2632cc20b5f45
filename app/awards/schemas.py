from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from app.awards.models import AwardStatus
from app.core.ids import RowId
from app.core.schemas import ReadModel, StrictInput
from app.core.text import MultiLine

Reason = Annotated[str, MultiLine, Field(min_length=3, max_length=1000)]


class _Strict(StrictInput):
    """Request bodies of this domain: see app.core.schemas.StrictInput."""


class AwardAlliance(ReadModel):
    id: int
    name: str
    slug: str
    municipality: str | None
    state: str


class AwardRead(ReadModel):
    id: int
    cycle_id: int
    cycle_key: str
    alliance: AwardAlliance
    title: str = Field(description="The seal title of the cycle, e.g. „Ausgezeichnetes Bündnis 2024/25“")
    awarded_on: date
    status: AwardStatus
    verification_code: str
    verification_url: str
    reason: str | None = Field(description="Why it was added by hand, re-added or withdrawn")
    confirmed_by: str
    withdrawn_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class AwardsConfirm(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {}, {"alliance_ids": [12, 31], "awarded_on": "2024-11-22"}]})

    alliance_ids: list[RowId] | None = Field(
        default=None, max_length=2000,
        description="Alliances from the shortlist; default: all meeting the criteria in the latest run",
    )
    awarded_on: date | None = Field(default=None, description="Default: the cycle's ceremony date")


class AwardsConfirmReport(ReadModel):
    awarded_on: date
    created: int = Field(description="Awards confirmed by this call")
    unchanged: int = Field(description="Confirmed before: left as they were")
    skipped_withdrawn: list[int] = Field(
        description="Alliances whose award was withdrawn: re-add one with a reason (POST …/awards)"
    )
    awards: list[AwardRead] = Field(description="Every award this call confirmed or found confirmed")


class AwardCreate(_Strict):
    """Add one award by hand (or re-add a withdrawn one): the reason is recorded."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"alliance_id": 12, "reason": "Nachträglich anerkannt nach Prüfung der Umfrage"}]})

    alliance_id: RowId
    awarded_on: date | None = Field(default=None, description="Default: the cycle's ceremony date")
    reason: Reason


class AwardWithdraw(_Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "Das Bündnis hat sich aufgelöst."}]})

    reason: Reason


class AwardImportRow(ReadModel):
    line: int
    alliance_id: int
    alliance_slug: str
    awarded_on: date
    action: Literal["create", "unchanged"]
    award_id: int | None


class AwardImportReport(ReadModel):
    dry_run: bool
    created: int
    unchanged: int
    rows: list[AwardImportRow]


class PublicSeal(ReadModel):
    """One entry of the public seal registry: no personal data."""

    alliance_name: str
    alliance_slug: str
    municipality: str | None
    state: str
    cycle_key: str
    title: str
    awarded_on: date


class SealVerification(ReadModel):
    code: str
    valid: bool = Field(description="True while the award stands; false once withdrawn")
    status: AwardStatus
    alliance_name: str
    title: str
    cycle_key: str
    awarded_on: date
    withdrawn_on: date | None
