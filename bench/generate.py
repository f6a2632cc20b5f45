"""Build a benchmark database: the real Alembic migrations, then realistic data in Core batches.

    .venv/bin/python bench/generate.py sqlite [--path bench.db] [--alliances 650]
    .venv/bin/python bench/generate.py postgresql --keep      # prints the URL, keeps the database
    .venv/bin/python bench/generate.py sqlite --path x100.db --alliances 65000   # growth (x100)

Besides alliances, partners, contacts and two signed-in people it builds the survey world the
hot reads of the SPA need (``populate_world``): a past, awarded cycle with confirmed seals (the
public registry), the current cycle (survey closed) with the standard questionnaire and seal
criteria of ``tests/factories.py``, one submitted, scored response per alliance, one evaluation
run over all of them (the app's own ``evaluation.service.start_run``: bulk reads and
``executemany``), and Projekt-Zukunft events with topics, invitations and delegates. Everything
scales with ``--alliances`` (65,000 = the issue's "x100"); bulk rows go in with Core
``executemany`` batches.

``bench/run.py`` uses :func:`bench_database`, which removes the database afterwards (a temporary
SQLite file, or a fresh PostgreSQL database ``buendnis_bench_<random>`` dropped WITH (FORCE)).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# The application tree to benchmark: this checkout, or a snapshot that bench/run.py exported
# with ``--app-ref`` (``git archive``), so a half-edited working tree cannot skew the numbers.
ROOT = Path(os.environ.get("BUENDNIS_BENCH_APP_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

import app.models  # noqa: E402,F401  (every table on the metadata)
from app.alliances.models import Alliance, AllianceContact, AlliancePartner  # noqa: E402
from app.alliances.schemas import slugify  # noqa: E402
from app.alliances.states import STATE_BY_AGS_PREFIX  # noqa: E402
from app.auth.models import AuthSession, User  # noqa: E402
from app.core.db import make_engine  # noqa: E402

PG_ADMIN_URL = os.environ.get("BUENDNIS_BENCH_PG_ADMIN_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
BATCH = 1000

CITIES = [
    "Fürth", "Erlangen", "Bamberg", "Würzburg", "Kiel", "Lübeck", "Flensburg", "Hannover",
    "Göttingen", "Oldenburg", "Osnabrück", "Münster", "Bielefeld", "Dortmund", "Essen", "Köln",
    "Bonn", "Aachen", "Kassel", "Marburg", "Gießen", "Darmstadt", "Mainz", "Trier", "Koblenz",
    "Freiburg", "Heidelberg", "Ulm", "Tübingen", "Konstanz", "Saarbrücken", "Potsdam",
    "Cottbus", "Rostock", "Schwerin", "Greifswald", "Leipzig", "Dresden", "Chemnitz", "Zwickau",
    "Magdeburg", "Halle", "Dessau", "Erfurt", "Jena", "Weimar", "Gera", "Regensburg", "Passau",
    "Landshut", "Ingolstadt", "Augsburg", "Kempten", "Bayreuth", "Hof", "Coburg", "Ansbach",
]
PREFIXES = ["", "Landkreis ", "Stadt ", "Gemeinde ", "Markt ", "Region "]
SECTORS = ["business", "municipality", "civil_society", "church", "welfare", "education", "other"]
PARTNER_NAMES = [
    "Stadtwerke", "Sparkasse", "Volkshochschule", "Caritasverband", "Diakonie", "AWO Ortsverein",
    "Familienzentrum", "Jugendamt", "Kita Sonnenschein", "Grundschule am Markt", "IHK",
    "Handwerkskammer", "Ev. Kirchengemeinde", "Kath. Pfarrei", "Sportverein", "Mehrgenerationenhaus",
    "Elternverein", "Stadtbibliothek", "Musikschule", "Bürgerstiftung", "Lebenshilfe",
]
FIRST = ["Erika", "Max", "Anna", "Jonas", "Lena", "Paul", "Mia", "Felix", "Sophie", "Lukas",
         "Hannah", "Leon", "Emma", "Elias", "Marie", "Ben", "Clara", "Noah", "Greta", "Karl"]
LAST = ["Muster", "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
        "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf"]
FUNCTIONS = ["Koordinatorin", "Koordinator", "Sprecherin", "Sprecher", "Geschäftsführung",
             "Gleichstellungsbeauftragte", None]
LEVELS = ["municipality", "city", "district"]
LEGAL_FORMS = ["informal", "working_group", "registered_association", "other", None]
DESCRIPTION = (
    "Das Lokale Bündnis für Familie {city} verbindet Kommune, Wirtschaft und Zivilgesellschaft. "
    "Wir setzen uns für bessere Vereinbarkeit von Familie und Beruf ein, organisieren "
    "Ferienbetreuung, Familienwegweiser und den jährlichen Familientag. "
) * 2


@dataclass
class BenchData:
    url: str               # SQLAlchemy URL the app uses (sqlite:/// or postgresql+psycopg://)
    kind: str              # sqlite | postgresql
    admin_id: int
    alliance_ids: list[int]
    counts: dict[str, int]
    seconds: float
    # An alliance user of alliance ``user_alliance_id``; both people signed in (one session
    # each), so their tokens carry a session id as real ones do.
    user_id: int = 0
    user_alliance_id: int = 0
    admin_session_id: int = 0
    user_session_id: int = 0
    cycle_slug: str = ""       # the current cycle (responses, evaluation run)
    past_cycle_slug: str = ""  # the awarded cycle (public seal registry)


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    return config


def _rows(n_alliances: int, seed: int) -> tuple[list[dict], list[dict], list[dict]]:
    rng = random.Random(seed)
    now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    alliances, partners, contacts = [], [], []
    seen_slugs: set[str] = set()
    prefixes = list(STATE_BY_AGS_PREFIX.items())
    for i in range(1, n_alliances + 1):
        city = rng.choice(CITIES)
        name = f"Lokales Bündnis für Familie {rng.choice(PREFIXES)}{city} {i}"
        slug = slugify(name)
        assert slug not in seen_slugs
        seen_slugs.add(slug)
        ags_prefix, state = rng.choice(prefixes)
        created = now - timedelta(days=rng.randint(0, 7000), seconds=rng.randint(0, 86400))
        alliances.append({
            "id": i, "name": name, "slug": slug,
            "ags": f"{ags_prefix}{rng.randint(0, 999999):06d}",
            "municipality": city, "district": f"Landkreis {rng.choice(CITIES)}", "state": state,
            "region": rng.choice([None, "Metropolregion Nürnberg", "Ruhrgebiet", "Rhein-Main"]),
            "level": rng.choice(LEVELS), "legal_form": rng.choice(LEGAL_FORMS),
            "founded_on": date(2004, 1, 1) + timedelta(days=rng.randint(0, 7000)),
            "website": f"https://www.familie-{slug[:60]}.de",
            "description": DESCRIPTION.format(city=city),
            "status": rng.choices(["active", "dormant", "dissolved"], [85, 10, 5])[0],
            "listed_in_finder": rng.random() < 0.8, "version": rng.randint(1, 5),
            "created_at": created, "updated_at": created + timedelta(days=rng.randint(0, 300)),
        })
        for _ in range(rng.randint(3, 18)):
            partners.append({
                "alliance_id": i,
                "name": f"{rng.choice(PARTNER_NAMES)} {city}",
                "sector": rng.choice(SECTORS),
            })
        for _ in range(rng.randint(1, 3)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            contacts.append({
                "alliance_id": i, "name": f"{first} {last}", "function": rng.choice(FUNCTIONS),
                "email": f"{first.lower()}.{slugify(last)}@familie-{i}.example.org",
                "phone": f"0{rng.randint(100, 9999)} {rng.randint(10000, 999999)}",
                "erased_at": None,
            })
    return alliances, partners, contacts


def populate(url: str, n_alliances: int = 650, seed: int = 20261124) -> tuple[int, dict[str, int]]:
    """Insert alliances, partners, contacts, one admin and one alliance user (of the alliance
    in the middle), each with a session, in Core batches; return the admin's id."""
    alliances, partners, contacts = _rows(n_alliances, seed)
    engine = make_engine(url, null_pool=True)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for table, rows in ((Alliance.__table__, alliances), (AlliancePartner.__table__, partners),
                            (AllianceContact.__table__, contacts)):
            for start in range(0, len(rows), BATCH):
                conn.execute(insert(table), rows[start:start + BATCH])
        conn.execute(insert(User.__table__), [{
            "email": "admin@bench.example.org", "full_name": "Bench Admin", "role": "admin",
            "alliance_id": None, "is_active": True, "password_hash": None, "version": 1,
            "created_at": now, "updated_at": now,
        }])
        conn.execute(insert(User.__table__), [{
            "email": "koordination@bench.example.org", "full_name": "Bench Koordination",
            "role": "alliance_user", "alliance_id": n_alliances // 2, "is_active": True,
            "password_hash": None, "version": 1, "created_at": now, "updated_at": now,
        }])
        ids = dict(conn.execute(select(User.__table__.c.email, User.__table__.c.id)).all())
        admin_id = ids["admin@bench.example.org"]
        conn.execute(insert(AuthSession.__table__), [
            {"user_id": admin_id, "created_at": now},
            {"user_id": ids["koordination@bench.example.org"], "created_at": now},
        ])
        if engine.dialect.name == "postgresql":
            # Explicit ids were inserted; move the sequence past them.
            conn.execute(text(
                "SELECT setval(pg_get_serial_sequence('alliance', 'id'), (SELECT max(id) FROM alliance))"
            ))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return admin_id, {"alliance": len(alliances), "alliance_partner": len(partners),
                      "alliance_contact": len(contacts), "user_account": 2, "auth_session": 2}


# --- the survey world: cycles, responses, evaluations, seals, events ---------------------------

CURRENT_CYCLE = {"key": "2024/25", "slug": "2024-25",
                 "seal_title": "Ausgezeichnetes Bündnis 2024/25"}
PAST_CYCLE = {"key": "2023/24", "slug": "2023-24",
              "seal_title": "Ausgezeichnetes Bündnis 2023/24"}
EVENT_TITLES = {
    "exchange": "Erfahrungsaustausch {topic}", "workshop": "Zukunftswerkstatt {city}",
    "dialogue": "Bündnisdialog {city}", "ceremony": "Siegelverleihung {city}",
}
EVENTS_PER_650 = 60  # events scale with the alliances (x100: 6,000)


def answers_for(i: int) -> dict[str, object]:
    """Varied, valid answers to the standard questionnaire (period 12, free text per row)."""
    return {"partner_meetings": i % 12, "press_coverage": i % 3 != 0,
            "offer_frequency": ("rarely", "quarterly", "monthly")[i % 3],
            "future_topics": ["childcare", "care_work"][: i % 3],
            "remarks": f"Antwort {i}: Ferienbetreuung und Familientag.",
            "last_event_on": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"}


def _batches(conn: object, table: object, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[start:start + BATCH])  # type: ignore[attr-defined]


def populate_world(url: str, n_alliances: int, user_alliance_id: int,
                   seed: int = 20261205) -> dict[str, int]:
    """Cycles, questionnaire, criteria, responses, an evaluation run, seals and events."""
    from sqlmodel import Session

    from app.auth.principal import Principal
    from app.awards.models import Award
    from app.awards.service import new_verification_code
    from app.cycles.models import AwardCycle, CycleStatus
    from app.evaluation import service as evaluation
    from app.evaluation.schemas import EvaluationRunCreate
    from app.events.models import Event, EventDelegate, EventInvitation, EventTopic, FutureTopic
    from app.questionnaire.rules import score
    from app.surveys.models import SurveyResponse
    from tests import factories

    rng = random.Random(seed)
    engine = make_engine(url, null_pool=True)
    now = datetime.now(UTC).replace(microsecond=0)
    counts: dict[str, int] = {}
    with Session(engine, expire_on_commit=False) as session:
        past = AwardCycle(**PAST_CYCLE, status=CycleStatus.awarded,
                          opens_at=now - timedelta(days=420), closes_at=now - timedelta(days=330),
                          ceremony_on=(now - timedelta(days=250)).date(), ceremony_place="Berlin")
        current = AwardCycle(**CURRENT_CYCLE, status=CycleStatus.survey_closed,
                             opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=1),
                             ceremony_on=(now + timedelta(days=90)).date(), ceremony_place="Berlin")
        session.add_all([past, current])
        session.commit()
        questions = factories.make_questions(session, current)
        factories.make_criteria(session, current)
        assert past.id is not None and current.id is not None

        # One submitted, scored response per alliance (scores computed once per answer pattern).
        scored: dict[int, object] = {}
        responses = []
        for i in range(n_alliances):
            answers = answers_for(i)
            result = scored.get(i % 12)
            if result is None:
                result = scored[i % 12] = score(questions, answers)
            submitted = now - timedelta(days=2 + i % 50, seconds=i % 86400)
            responses.append({
                "cycle_id": current.id, "alliance_id": i + 1, "status": "submitted",
                "answers": answers, "wants_future_project": i % 3 != 0, "wants_seal": i % 4 != 0,
                "reported_status": "active", "wants_finder_listing": i % 5 != 0,
                "mode": "online" if i % 7 else "phone_interview",
                "entered_by": f"user:{1 + i % 3}", "activity_score": result.total,  # type: ignore[attr-defined]
                "score_breakdown": result.breakdown,  # type: ignore[attr-defined]
                "submitted_at": submitted, "submitted_by": f"user:{1 + i % 3}",
                "reopened_reason": None, "version": 1 + i % 3,
                "created_at": submitted - timedelta(days=5), "updated_at": submitted,
            })
        _batches(session.connection(), SurveyResponse.__table__, responses)
        session.commit()
        counts["survey_response"] = len(responses)
        del responses

        # Seals of the past cycle: every 7th alliance confirmed, every 97th withdrawn.
        awards = []
        for i in range(1, n_alliances + 1):
            if i % 7 and i % 97:
                continue
            withdrawn = i % 97 == 0 and i % 7 != 0
            awards.append({
                "cycle_id": past.id, "alliance_id": i, "title": PAST_CYCLE["seal_title"],
                "awarded_on": past.ceremony_on, "status": "withdrawn" if withdrawn else "confirmed",
                "verification_code": new_verification_code(),
                "reason": "Auflösung des Bündnisses" if withdrawn else None,
                "confirmed_by": "user:1", "withdrawn_at": now - timedelta(days=30) if withdrawn else None,
                "version": 2 if withdrawn else 1, "created_at": now - timedelta(days=250),
                "updated_at": now - timedelta(days=30 if withdrawn else 250),
            })
        _batches(session.connection(), Award.__table__, awards)
        session.commit()
        counts["award"] = len(awards)

        # Events: a quarter in the past, the rest ahead. An invitation-only event invites 65
        # alliances whatever the scale (a workshop's list; invitations grow with the number of
        # events, so in proportion to the alliances); delegates from a fifth of the invited.
        # The bench user's alliance is invited to every third of the first 60 events only: an
        # alliance's own invitations do not grow with the number of other alliances.
        topics = list(session.scalars(select(FutureTopic.id).order_by(FutureTopic.number)))
        n_events = max(EVENTS_PER_650 * n_alliances // 650, 1)
        events = []
        for e in range(1, n_events + 1):
            kind = rng.choice(["exchange", "workshop", "workshop", "dialogue", "ceremony"])
            city = rng.choice(CITIES)
            starts = now + timedelta(days=rng.randint(-120, 360), hours=rng.randint(0, 10))
            starts = starts.replace(minute=0, second=0)
            status = rng.choices(["published", "draft", "cancelled"], [85, 10, 5])[0]
            events.append({
                "id": e, "cycle_id": current.id if rng.random() < 0.7 else past.id, "kind": kind,
                "status": status,
                "title": EVENT_TITLES[kind].format(city=city, topic=rng.choice(
                    ["Kinderbetreuung", "Pflege und Beruf", "Familien mit geringem Einkommen"])),
                "summary": "Austausch der Bündnisse zu guten Beispielen vor Ort. " * 3,
                "starts_at": starts, "ends_at": starts + timedelta(hours=rng.choice([2, 4, 6])),
                "venue": "online" if kind == "exchange" else city,
                "state": None if kind == "exchange" else rng.choice(list(STATE_BY_AGS_PREFIX.values())),
                "online_url": f"https://meet.example.org/bench-{e}" if kind == "exchange" else None,
                "capacity": rng.choice([None, 30, 40, 80, 200]),
                "registration_closes_at": starts - timedelta(days=7) if rng.random() < 0.6 else None,
                "invitation_only": kind != "dialogue" and rng.random() < 0.8,
                "is_public": kind in ("ceremony", "dialogue"), "workgroup_id": None,
                "version": 1 + (status != "draft"),
                "created_at": now - timedelta(days=200), "updated_at": now - timedelta(days=10),
            })
        _batches(session.connection(), Event.__table__, events)
        event_topics = [{"event_id": e, "topic_id": t} for e in range(1, n_events + 1)
                        for t in rng.sample(topics, rng.randint(1, 2))]
        _batches(session.connection(), EventTopic.__table__, event_topics)
        invitations, delegates = [], []
        per_event = min(65, n_alliances)
        for event in events:
            if not event["invitation_only"]:
                continue
            invited = set(rng.sample(range(1, n_alliances + 1), per_event))
            invited.discard(user_alliance_id)
            if event["id"] % 3 == 0 and event["id"] <= EVENTS_PER_650:
                invited.add(user_alliance_id)  # the bench user's alliance: a third of them
            for alliance_id in sorted(invited):
                invitations.append({
                    "event_id": event["id"], "alliance_id": alliance_id,
                    "basis": rng.choice(["future_project", "previous_seal", "manual"]),
                    "invited_by": "user:1", "created_at": now - timedelta(days=20),
                    "mailed_at": now - timedelta(days=19),
                })
                if alliance_id == user_alliance_id or rng.random() < 0.2:
                    first, last = rng.choice(FIRST), rng.choice(LAST)
                    delegates.append({
                        "event_id": event["id"], "alliance_id": alliance_id,
                        "name": f"{first} {last}", "function": rng.choice(FUNCTIONS),
                        "email": f"{first.lower()}.{len(delegates)}@familie-{alliance_id}.example.org",
                        "phone": None, "dietary_needs": None,
                        "status": rng.choices(["registered", "withdrawn", "waitlisted"], [85, 10, 5])[0],
                        "registered_by": "user:2", "created_at": now - timedelta(days=15),
                        "updated_at": now - timedelta(days=15), "erased_at": None,
                        "attendance": None, "attendance_recorded_at": None,
                        "attendance_recorded_by": None,
                    })
        _batches(session.connection(), EventInvitation.__table__, invitations)
        _batches(session.connection(), EventDelegate.__table__, delegates)
        session.commit()
        counts.update(event=n_events, event_topic=len(event_topics),
                      event_invitation=len(invitations), event_delegate=len(delegates))

        # The evaluation run, by the app's own bulk path (not through HTTP).
        admin = session.scalars(select(User).where(User.role == "admin")).one()
        run = evaluation.start_run(session, current.slug, EvaluationRunCreate(
            reason="Auswertung nach Ende der Umfrage 2024/25 (Benchmark)"),
            Principal.of_user(admin, session_id=None, jti=None))
        counts["evaluation"] = run.evaluated_count
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('event', 'id'), "
                              "(SELECT max(id) FROM event))"))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return counts


def _people(url: str) -> dict[str, int]:
    engine = make_engine(url, null_pool=True)
    users, sessions = User.__table__, AuthSession.__table__
    with engine.connect() as conn:
        user = conn.execute(select(users.c.id, users.c.alliance_id)
                            .where(users.c.role == "alliance_user")).one()
        by_user = dict(conn.execute(select(sessions.c.user_id, sessions.c.id)).all())
    engine.dispose()
    admin_id = next(u for u in by_user if u != user.id)
    return {"user_id": user.id, "user_alliance_id": user.alliance_id,
            "admin_session_id": by_user[admin_id], "user_session_id": by_user[user.id]}


@contextmanager
def bench_database(kind: str, n_alliances: int = 650, *, keep: bool = False,
                   sqlite_path: str | None = None) -> Iterator[BenchData]:
    """Yield a migrated, populated database; remove it afterwards unless ``keep``."""
    started = time.perf_counter()
    tmpdir = None
    name = None
    if kind == "sqlite":
        if sqlite_path is None:
            tmpdir = tempfile.mkdtemp(prefix="buendnis-bench-")
            sqlite_path = os.path.join(tmpdir, "bench.db")
        url = f"sqlite:///{sqlite_path}"
    elif kind == "postgresql":
        name = f"buendnis_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        url = f"{base}/{name}"
    else:
        raise ValueError(f"unknown database kind {kind!r}")
    try:
        command.upgrade(alembic_config(url), "head")
        admin_id, counts = populate(url, n_alliances)
        people = _people(url)
        counts.update(populate_world(url, n_alliances, people["user_alliance_id"]))
        yield BenchData(url=url, kind=kind, admin_id=admin_id,
                        cycle_slug=CURRENT_CYCLE["slug"], past_cycle_slug=PAST_CYCLE["slug"],
                        alliance_ids=list(range(1, n_alliances + 1)), counts=counts,
                        seconds=round(time.perf_counter() - started, 2), **people)
    finally:
        if keep:
            pass
        elif kind == "sqlite" and tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
        elif name is not None:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["sqlite", "postgresql"])
    parser.add_argument("--alliances", type=int, default=650)
    parser.add_argument("--path", help="SQLite file (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args()
    keep = args.keep or bool(args.path)
    with bench_database(args.kind, args.alliances, keep=keep, sqlite_path=args.path) as data:
        print(f"{data.url}  admin_id={data.admin_id}  {data.counts}  in {data.seconds}s")


if __name__ == "__main__":
    main()
