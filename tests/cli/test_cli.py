"""The `buendnis` command on a fresh database of the current lane."""

import secrets

import pytest

from app import cli
from app.core import db as core_db
from tests import dbsetup
from tests.utils.settings import reload_settings


@pytest.fixture
def fresh_database(monkeypatch):
    with dbsetup.fresh_database() as url:
        monkeypatch.setenv("BUENDNIS_DATABASE_URL", url)
        reload_settings()
        core_db.get_engine.cache_clear()
        yield url
        core_db.get_engine().dispose()
        core_db.get_engine.cache_clear()
    reload_settings()


def test_migrate_seed_twice_and_retention(fresh_database, capsys):
    assert cli.main(["migrate"]) == 0
    assert cli.main(["seed-demo"]) == 0
    first = capsys.readouterr().out
    assert "alliances" in first and "servicebuero@demo.lokale-buendnisse.de" in first
    assert cli.main(["seed-demo"]) == 0
    assert "nothing new" in capsys.readouterr().out
    assert cli.main(["retention", "--dry-run"]) == 0
    assert "would anonymise" in capsys.readouterr().out
    assert cli.main(["retention"]) == 0
    out = capsys.readouterr().out
    assert "idempotency" in out and "delegate(s)" in out and "inquiry(ies)" in out


@pytest.mark.parametrize("months", ["0", "-3", "121", "zwölf"])
def test_retention_refuses_a_period_that_would_erase_everything(months, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["retention", "--dry-run", "--months", months])
    assert exit_info.value.code == 2
    assert "1 to 120" in capsys.readouterr().err


def test_create_admin_needs_a_long_password(fresh_database, monkeypatch, capsys):
    assert cli.main(["migrate"]) == 0
    monkeypatch.setenv("BUENDNIS_ADMIN_PASSWORD", "short")
    assert cli.main(["create-admin", "--email", "chef@example.org"]) == 2
    monkeypatch.setenv("BUENDNIS_ADMIN_PASSWORD", "a-long-enough-password")
    assert cli.main(["create-admin", "--email", "Chef@Example.org"]) == 0
    assert cli.main(["create-admin", "--email", "chef@example.org"]) == 1, "e-mail compared case-insensitively"


def test_seed_demo_refused_in_production(fresh_database, monkeypatch):
    monkeypatch.setenv("BUENDNIS_ENV", "production")
    monkeypatch.setenv("BUENDNIS_JWT_SECRET", secrets.token_hex(32))
    reload_settings()
    assert cli.main(["seed-demo"]) == 2


def test_openapi_check_detects_drift(tmp_path, capsys):
    target = tmp_path / "openapi.json"
    assert cli.main(["openapi", "--output", str(target)]) == 0
    assert cli.main(["openapi", "--check", "--output", str(target)]) == 0
    target.write_text(target.read_text() + " ")
    assert cli.main(["openapi", "--check", "--output", str(target)]) == 1


def _production_without_smtp(monkeypatch) -> None:
    monkeypatch.setenv("BUENDNIS_ENV", "production")
    monkeypatch.setenv("BUENDNIS_JWT_SECRET", secrets.token_hex(32))
    monkeypatch.delenv("BUENDNIS_SMTP_HOST", raising=False)
    reload_settings()


@pytest.mark.parametrize("command", ["send-mail", "worker"])
def test_mail_is_not_marked_sent_in_production_without_smtp(fresh_database, monkeypatch, capsys,
                                                            command):
    """Without an SMTP host the development log sender would mark every mail as sent (survey
    notices would read as delivered): in production the command refuses and the mail waits."""
    from sqlmodel import Session, select

    from app.mail import outbox
    from app.mail.models import OutboxMessage

    assert cli.main(["migrate"]) == 0
    with Session(core_db.get_engine()) as session:
        queued = outbox.enqueue(session, "kontakt@buendnis.example.org", "Betreff", "Text")
        session.commit()
        queued_id = queued.id
    _production_without_smtp(monkeypatch)

    assert cli.main([command]) == 2
    assert "BUENDNIS_SMTP_HOST" in capsys.readouterr().err
    with Session(core_db.get_engine()) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.id == queued_id)).one()
        assert row.status == "queued" and row.sent_at is None
