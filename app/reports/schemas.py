"""What the statistics endpoint returns (the exports are files, see exports.py)."""

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.alliances.schemas import StateCode
from app.core.schemas import ReadModel
from app.cycles.models import CycleStatus
from app.surveys.models import ResponseMode

ExportFormat = Literal["csv", "xlsx"]
CsvSeparator = Literal[",", ";"]


class StatisticsCycle(ReadModel):
    id: int
    key: str = Field(examples=["2024/25"])
    slug: str = Field(examples=["2024-25"])
    status: CycleStatus


class _ResponseCounts(ReadModel):
    responded: int = Field(description="Alliances with a response of any status (draft or submitted)")
    submitted: int = Field(description="Alliances with a submitted response")
    wants_future_project: int = Field(
        description="Submitted responses that declare interest in Projekt Zukunft")
    meeting_criteria: int = Field(
        description="Alliances meeting every seal criterion in the cycle's latest evaluation run "
        "(0 before the first run)")
    invited_to_future_project: int = Field(
        description="Of those, the ones that want Projekt Zukunft: invited to exchanges and "
        "workshops (latest run)")
    awarded: int = Field(description="Confirmed awards (seals) of this cycle; withdrawn ones do not count")


class _ReachCounts(ReadModel):
    eligible: int = Field(
        description="Alliances asked to answer: not dissolved and without a seal from another "
        "cycle (an alliance awarded in this cycle stays counted here: it was asked and won)")
    notified: int = Field(description="Eligible alliances with at least one survey notice sent")
    not_reached: int = Field(description="Eligible alliances without any sent notice yet")


# Mixins are listed last-first: pydantic orders fields from the base furthest back in the MRO.
class StatisticsCounts(_ResponseCounts, _ReachCounts):
    """The cycle's funnel from who is asked to who is awarded."""


class _StateName(ReadModel):
    state: StateCode
    name: str = Field(description="The Land's German name", examples=["Baden-Württemberg"])


class StateStatistics(StatisticsCounts, _StateName):
    """One Land; all 16 are listed, also those with nothing to count."""


class _Mode(ReadModel):
    mode: ResponseMode


class ModeStatistics(_ResponseCounts, _Mode):
    """Responses by how they were entered. Awards without any response (added by hand) appear
    in no mode."""


class FutureProjectEvents(ReadModel):
    """Taking part in the cycle's Projekt Zukunft events (exchanges, workshops, dialogues that
    were not cancelled; the ceremony is not one of them)."""

    events: int = Field(description="Such events of the cycle")
    alliances_registered: int = Field(description="Alliances with a delegate registered (not "
                                      "withdrawn, not only waiting) for at least one of them")
    alliances_attended: int = Field(description="Alliances with a delegate recorded as "
                                    "attended at at least one of them")


class CycleStatistics(ReadModel):
    """The numbers the Servicebüro reports for one cycle, as of ``generated_at``."""

    cycle: StatisticsCycle
    evaluation_run_id: int | None = Field(
        description="The latest evaluation run the criteria numbers come from; null if none yet")
    evaluated_at: datetime | None = Field(description="When that run was made")
    generated_at: datetime
    totals: StatisticsCounts
    by_state: list[StateStatistics] = Field(description="The 16 Länder in their official order")
    by_mode: list[ModeStatistics] = Field(
        description="online, phone_interview, partner_import, admin_entry")
    future_project_events: FutureProjectEvents = Field(
        description="How many alliances took part in the cycle's Projekt Zukunft events")
