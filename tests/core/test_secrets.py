"""Production secrets (issue 11, finding 6): a refused start names the setting but never
prints a configured value, and the JWT secret must hold real entropy, not 40 spaces."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings, is_strong_secret

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("secret, strong", [
    (secrets.token_hex(32), True),
    (secrets.token_urlsafe(32), True),
    (base64.b64encode(secrets.token_bytes(48)).decode(), True),
    (" " * 40, False),
    ("a" * 32, False),
    ("a" * 64, False),
    ("x" * 40, False),
    ("0" * 64, False),
    ("ab" * 32, False),
    (secrets.token_hex(16), False),  # 16 bytes only
    ("dev-only-secret-change-me", False),
    ("Ein langes Passwort, das sich jemand gemerkt hat!", False),
])
def test_the_production_secret_needs_32_random_bytes(secret: str, strong: bool) -> None:
    assert is_strong_secret(secret) is strong
    if strong:
        assert Settings(env="production", jwt_secret=secret).env == "production"
    else:
        with pytest.raises(ValidationError, match="JWT_SECRET"):
            Settings(env="production", jwt_secret=secret)


def test_a_refused_settings_object_echoes_no_value() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", jwt_secret="a" * 32, smtp_password="Smtp-Geheimnis-4711")
    text = str(refused.value)
    assert "Smtp-Geheimnis-4711" not in text
    assert "aaaaaaaa" not in text
    assert "JWT_SECRET" in text


def test_a_refused_production_start_prints_no_secret(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BUENDNIS_")}
    env.update(BUENDNIS_ENV="production", BUENDNIS_JWT_SECRET="Leicht-zu-raten-aber-lang-genug-1234",
               BUENDNIS_SMTP_PASSWORD="Smtp-Geheimnis-4711",
               BUENDNIS_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    done = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; raise SystemExit(main(['serve']))"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "JWT_SECRET" in output
    assert "Smtp-Geheimnis-4711" not in output
    assert "Leicht-zu-raten" not in output
