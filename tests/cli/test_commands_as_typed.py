"""The README's commands as a person types them: each a new interpreter (`python -m app.cli`,
what the `buendnis` script runs) on a fresh database of this lane. The test process has loaded
every model; a subprocess has not, which is how `create-admin` once shipped broken."""

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests import dbsetup

ROOT = dbsetup.ROOT


@pytest.fixture
def fresh_url() -> Iterator[str]:
    with dbsetup.fresh_database() as url:
        yield url


def buendnis(url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("BUENDNIS_")}
    environment.update({"BUENDNIS_DATABASE_URL": url, "BUENDNIS_LOG_LEVEL": "WARNING", **env})
    return subprocess.run(  # noqa: S603 - our own command, fixed arguments
        [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL, check=False,
    )


def test_create_admin_works_on_a_fresh_database_in_a_fresh_interpreter(fresh_url):
    assert buendnis(fresh_url, "migrate").returncode == 0
    created = buendnis(fresh_url, "create-admin", "--email", "Chef@Example.org",
                       BUENDNIS_ADMIN_PASSWORD="ein-langes-Passwort-2026")
    assert created.returncode == 0, created.stderr
    assert "admin created" in created.stdout
    again = buendnis(fresh_url, "create-admin", "--email", "chef@example.org",
                     BUENDNIS_ADMIN_PASSWORD="ein-langes-Passwort-2026")
    assert again.returncode == 1, "e-mail addresses are compared case-insensitively"


def test_create_admin_without_a_password_and_no_terminal_says_what_to_do(fresh_url):
    assert buendnis(fresh_url, "migrate").returncode == 0
    result = buendnis(fresh_url, "create-admin", "--email", "chef@example.org")
    assert result.returncode == 2
    assert "BUENDNIS_ADMIN_PASSWORD" in result.stderr


def test_migrate_seed_retention_and_send_mail_each_in_a_fresh_interpreter(fresh_url):
    for command in (["migrate"], ["seed-demo"], ["seed-demo"], ["retention", "--dry-run"],
                    ["send-mail"], ["send-webhooks"], ["send-reminders"]):
        result = buendnis(fresh_url, *command)
        assert result.returncode == 0, (command, result.stderr)


@pytest.mark.parametrize("command", [["create-admin", "--email", "chef@example.org"], ["seed-demo"],
                                     ["send-mail"], ["worker"]])
def test_a_command_on_a_database_never_migrated_says_to_migrate(fresh_url, command):
    result = buendnis(fresh_url, *command, BUENDNIS_ADMIN_PASSWORD="ein-langes-Passwort-2026")
    assert result.returncode == 2
    assert "buendnis migrate" in result.stderr and "Traceback" not in result.stderr


def test_a_refused_production_setting_is_one_line_not_a_traceback(fresh_url):
    result = buendnis(fresh_url, "serve", "--port", "1", BUENDNIS_ENV="production",
                      BUENDNIS_JWT_SECRET="Leicht-zu-raten-aber-lang-genug-1234")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "BUENDNIS_JWT_SECRET" in result.stderr
    assert "Leicht-zu-raten" not in result.stderr + result.stdout
