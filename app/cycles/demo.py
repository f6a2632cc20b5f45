"""Demo award cycles and their questionnaires (seed step ``seed_cycles``).

* "2023/24": archived history (ceremony 24 Nov 2023, Berlin; 56 seal alliances that year),
* "2024/25": the survey is open now (ceremony 22 Nov 2024, Berlin),
* "2025/26": a draft for the seal „Ausgezeichnetes Bündnis 2025/2026“.

2024/25 and 2025/26 get a German questionnaire grouped by the four published seal criteria.
Idempotent: an existing cycle (matched by key) and an existing questionnaire are left alone.
"""

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from app.core.db import utcnow
from app.cycles.models import AwardCycle, CycleStatus
from app.cycles.schemas import slug_for
from app.surveys import scoring
from app.surveys.models import Question


class Report(Protocol):
    def count(self, what: str, n: int = 1) -> None: ...


# The four published seal criteria, as the criterion groups of the questions.
CRITERION_GROUPS: dict[str, str] = {
    "networking": "Gute Vernetzung mit der Bundesinitiative und regionalen Akteuren",
    "visibility": "Gute Sichtbarkeit",
    "offers": "Kontinuierliche, greifbare Angebote für Familien",
    "future": "Aktive, zukunftsorientierte Bündnisarbeit",
}

_YES = {"kind": "if_yes"}


def _options(*items: tuple[str, str, float]) -> list[dict[str, Any]]:
    return [{"value": value, "label": label, "points": points} for value, label, points in items]


QUESTIONNAIRE_2024: list[dict[str, Any]] = [
    # --- Vernetzung ---------------------------------------------------------------------------
    {"key": "partner_count", "criterion_group": "networking", "type": "integer", "required": True,
     "text": "Wie viele Partnerorganisationen wirken derzeit im Bündnis mit?",
     "help_text": "Kommune, Unternehmen, Kirchen, Vereine, Verbände, Bildungseinrichtungen …",
     "scoring": {"kind": "per_unit", "points_per_unit": 0.5, "cap": 10}, "weight": 1.0},
    {"key": "partner_sectors", "criterion_group": "networking", "type": "multi_choice",
     "required": True, "text": "Aus welchen Bereichen kommen Ihre Partner?",
     "options": _options(("municipality", "Kommune / Verwaltung", 1), ("business", "Wirtschaft", 1),
                         ("church", "Kirchen", 1), ("welfare", "Wohlfahrtsverbände", 1),
                         ("education", "Bildung und Betreuung", 1),
                         ("civil_society", "Vereine und Initiativen", 1)),
     "scoring": {"kind": "per_option"}, "weight": 1.0},
    {"key": "network_meetings", "criterion_group": "networking", "type": "integer",
     "required": True,
     "text": "Wie viele Netzwerktreffen des Bündnisses fanden in den letzten 12 Monaten statt?",
     "scoring": {"kind": "per_unit", "points_per_unit": 1, "cap": 6}, "weight": 1.0},
    {"key": "initiative_formats", "criterion_group": "networking", "type": "multi_choice",
     "required": False,
     "text": "An welchen Angeboten der Bundesinitiative hat Ihr Bündnis teilgenommen?",
     "options": _options(("exchange", "Virtueller Erfahrungsaustausch", 2),
                         ("workshop", "Regionale Zukunftswerkstatt", 2),
                         ("dialogue", "Bündnisdialog / Siegelverleihung", 1),
                         ("webinar", "Webinare und Fachveranstaltungen", 1)),
     "scoring": {"kind": "per_option"}, "weight": 1.0},
    # --- Sichtbarkeit -------------------------------------------------------------------------
    {"key": "press_reports", "criterion_group": "visibility", "type": "integer", "required": True,
     "text": "Wie oft wurde in den letzten 12 Monaten in Presse, Radio oder Online-Medien über "
             "das Bündnis berichtet?",
     "scoring": {"kind": "per_unit", "points_per_unit": 1, "cap": 5}, "weight": 1.0},
    {"key": "own_channels", "criterion_group": "visibility", "type": "boolean", "required": True,
     "text": "Hat das Bündnis eine eigene Website oder einen Social-Media-Auftritt?",
     "scoring": {**_YES, "points": 3}, "weight": 1.0},
    {"key": "public_events", "criterion_group": "visibility", "type": "integer", "required": True,
     "text": "Wie viele öffentliche Veranstaltungen oder Aktionstage hat das Bündnis "
             "durchgeführt?",
     "scoring": {"kind": "per_unit", "points_per_unit": 1.5, "cap": 6}, "weight": 1.0},
    # --- Angebote für Familien ----------------------------------------------------------------
    {"key": "offer_frequency", "criterion_group": "offers", "type": "single_choice",
     "required": True, "text": "Wie regelmäßig macht das Bündnis Angebote für Familien?",
     "options": _options(("none", "derzeit keine", 0), ("once", "einmalig im Jahr", 1),
                         ("several", "mehrmals im Jahr", 3), ("monthly", "monatlich", 5),
                         ("ongoing", "fortlaufend (z. B. wöchentlich)", 6)),
     "scoring": {"kind": "per_option"}, "weight": 2.0},
    {"key": "offer_areas", "criterion_group": "offers", "type": "multi_choice", "required": True,
     "text": "In welchen Bereichen gibt es Angebote?",
     "options": _options(("childcare", "Kinderbetreuung und Ferienbetreuung", 1),
                         ("care", "Unterstützung pflegender Angehöriger", 1),
                         ("counselling", "Beratung und Lotsendienste", 1),
                         ("low_income", "Angebote für Familien mit geringem Einkommen", 1),
                         ("employers", "Familienfreundliche Arbeitgeber", 1),
                         ("leisure", "Freizeit und Begegnung", 1)),
     "scoring": {"kind": "per_option"}, "weight": 1.0},
    {"key": "families_reached", "criterion_group": "offers", "type": "integer", "required": False,
     "text": "Wie viele Familien haben die Angebote im letzten Jahr etwa erreicht?",
     "help_text": "Eine Schätzung genügt.",
     "scoring": {"kind": "per_unit", "points_per_unit": 0.02, "cap": 4}, "weight": 1.0},
    # --- Zukunftsorientierte Bündnisarbeit ----------------------------------------------------
    {"key": "future_topics", "criterion_group": "future", "type": "multi_choice",
     "required": False, "text": "Zu welchen Zukunftsthemen arbeitet das Bündnis?",
     "options": _options(("care_work", "Vereinbarkeit von Familie, Pflege und Beruf", 1.5),
                         ("childcare", "Kinderbetreuung", 1.5),
                         ("low_income", "Familien mit geringen Einkommen", 1.5),
                         ("company_policy", "familienbewusste Unternehmenspolitik", 1.5)),
     "scoring": {"kind": "per_option"}, "weight": 1.0},
    {"key": "annual_plan", "criterion_group": "future", "type": "boolean", "required": True,
     "text": "Gibt es eine schriftliche Jahresplanung oder Zielvereinbarung des Bündnisses?",
     "scoring": {**_YES, "points": 3}, "weight": 1.0},
    {"key": "new_partners", "criterion_group": "future", "type": "integer", "required": False,
     "text": "Wie viele neue Partner hat das Bündnis in den letzten 12 Monaten gewonnen?",
     "scoring": {"kind": "per_unit", "points_per_unit": 1, "cap": 4}, "weight": 1.0},
    {"key": "last_meeting_on", "criterion_group": None, "type": "date", "required": False,
     "text": "Wann hat sich das Bündnis zuletzt getroffen?", "scoring": {"kind": "none"},
     "weight": 0.0},
    {"key": "plans_next_year", "criterion_group": None, "type": "text", "required": False,
     "text": "Was plant das Bündnis für das kommende Jahr?",
     "help_text": "Stichworte genügen; die Antwort fließt nicht in den Aktivitätsgrad ein.",
     "scoring": {"kind": "none"}, "weight": 0.0},
]

# 2025 the survey is taken by telephone interviews; digital formats count for visibility.
QUESTIONNAIRE_2025: list[dict[str, Any]] = [
    *(q for q in QUESTIONNAIRE_2024 if q["key"] not in {"last_meeting_on", "plans_next_year"}),
    {"key": "digital_formats", "criterion_group": "visibility", "type": "boolean",
     "required": False,
     "text": "Bietet das Bündnis digitale Formate an (z. B. Online-Sprechstunden, Newsletter)?",
     "scoring": {**_YES, "points": 2}, "weight": 1.0},
    {"key": "future_project_results", "criterion_group": "future", "type": "boolean",
     "required": False,
     "text": "Hat das Bündnis Ergebnisse aus Projekt Zukunft vor Ort umgesetzt?",
     "scoring": {**_YES, "points": 4}, "weight": 1.0},
    {"key": "plans_next_year", "criterion_group": None, "type": "text", "required": False,
     "text": "Was plant das Bündnis für das kommende Jahr?", "scoring": {"kind": "none"},
     "weight": 0.0},
]


# The open demo survey runs from 14 days ago to 42 days ahead; its seal ceremony follows the
# close (the demo ceremony event of app/events/demo.py is held that day, too). So nothing in
# the demo is dated before the survey it rests on.
SURVEY_OPENED_DAYS_AGO = 14
SURVEY_CLOSES_DAYS_AHEAD = 42
CEREMONY_DAYS_AHEAD = 90
try:
    _GERMAN_TIME: tzinfo = ZoneInfo("Europe/Berlin")
except ZoneInfoNotFoundError:  # an image without tzdata
    _GERMAN_TIME = UTC


def ceremony_day(now: datetime) -> date:
    """The open demo cycle's ceremony day (German calendar day), well after the survey closes."""
    return (now + timedelta(days=CEREMONY_DAYS_AHEAD)).astimezone(_GERMAN_TIME).date()


def demo_cycles() -> list[dict[str, Any]]:
    now = utcnow().replace(microsecond=0)
    return [
        {"key": "2023/24", "seal_title": "Ausgezeichnetes Bündnis 2023/24",
         "status": CycleStatus.archived,
         "opens_at": datetime(2023, 4, 17, 6, 0, tzinfo=UTC),
         "closes_at": datetime(2023, 6, 30, 21, 59, tzinfo=UTC),
         "ceremony_on": date(2023, 11, 24), "ceremony_place": "Berlin", "questions": []},
        {"key": "2024/25", "seal_title": "Ausgezeichnetes Bündnis 2024/25",
         "status": CycleStatus.survey_open,
         "opens_at": now - timedelta(days=SURVEY_OPENED_DAYS_AGO),
         "closes_at": now + timedelta(days=SURVEY_CLOSES_DAYS_AHEAD),
         "ceremony_on": ceremony_day(now), "ceremony_place": "Berlin",
         "questions": QUESTIONNAIRE_2024},
        {"key": "2025/26", "seal_title": "Ausgezeichnetes Bündnis 2025/2026",
         "status": CycleStatus.draft, "opens_at": None, "closes_at": None,
         "ceremony_on": None, "ceremony_place": None, "questions": QUESTIONNAIRE_2025},
    ]


def _seed_questions(session: Session, cycle: AwardCycle, specs: list[dict[str, Any]],
                    report: Report) -> None:
    assert cycle.id is not None
    if session.exec(select(Question.id).where(Question.cycle_id == cycle.id)).first() is not None:
        return
    problems = scoring.check_questionnaire(specs, ("demo", cycle.key))
    if problems:
        raise ValueError(f"demo questionnaire {cycle.key} is inconsistent: {problems}")
    for position, spec in enumerate(specs):
        session.add(Question(
            cycle_id=cycle.id, position=position, key=spec["key"], text=spec["text"],
            help_text=spec.get("help_text"), type=spec["type"], required=spec["required"],
            options=[dict(o) for o in spec.get("options", [])], scoring=dict(spec["scoring"]),
            weight=spec["weight"], criterion_group=spec["criterion_group"],
        ))
    report.count("questions", len(specs))


def seed_cycles(session: Session, report: Report) -> None:
    for entry in demo_cycles():
        fields = {k: v for k, v in entry.items() if k != "questions"}
        cycle = session.exec(select(AwardCycle).where(AwardCycle.key == entry["key"])).first()
        if cycle is None:
            cycle = AwardCycle(**fields, slug=slug_for(entry["key"]))
            session.add(cycle)
            session.flush()
            report.count("cycles")
        if entry["questions"]:
            _seed_questions(session, cycle, entry["questions"], report)
    session.flush()
