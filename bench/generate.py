"""Build a benchmark database: the real Alembic migrations, then realistic data in Core batches.

    .venv/bin/python bench/generate.py sqlite [--path bench.db] [--alliances 650]
    .venv/bin/python bench/generate.py postgresql --keep      # prints the URL, keeps the database

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
        yield BenchData(url=url, kind=kind, admin_id=admin_id,
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
