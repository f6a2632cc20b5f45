from pathlib import Path

from app.core.config import LimitSettings, Settings

ENV_EXAMPLE = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")


def test_env_example_documents_every_setting():
    missing = [f"BUENDNIS_{name.upper()}" for name in Settings.model_fields
               if name != "limits" and f"BUENDNIS_{name.upper()}=" not in ENV_EXAMPLE]
    missing += [f"BUENDNIS_LIMIT_{name.upper()}" for name in LimitSettings.model_fields
                if f"BUENDNIS_LIMIT_{name.upper()}=" not in ENV_EXAMPLE]
    assert missing == [], f"add these to .env.example: {missing}"


def test_limits_are_read_from_their_own_prefix(monkeypatch):
    monkeypatch.setenv("BUENDNIS_LIMIT_MAX_BATCH_ITEMS", "42")
    assert Settings().limits.max_batch_items == 42


def test_sqlite_serialises_database_work_and_postgres_does_not():
    assert Settings(database_url="sqlite:///x.db").effective_db_concurrency == 1
    assert Settings(database_url="postgresql+psycopg://h/db").effective_db_concurrency == 4
    assert Settings(database_url="sqlite:///x.db", db_concurrency=3).effective_db_concurrency == 3


def test_a_unit_that_flushes_without_committing_saves_nothing(session):
    """Db.run's end of a unit: flushed but uncommitted writes are rolled back, never half-saved."""
    from sqlmodel import select

    from app.alliances.models import Alliance
    from app.core.db import _unit

    def forgets_to_commit(s):
        s.add(Alliance(name="Halb gespeichert", slug="halb-gespeichert", state="DE-BY", level="city"))
        s.flush()

    _unit(session, forgets_to_commit)
    assert session.exec(select(Alliance).where(Alliance.slug == "halb-gespeichert")).first() is None
