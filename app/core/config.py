"""Settings: one object, read from the environment (prefix ``BUENDNIS_``) and ``.env``."""

import base64
import binascii
import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_JWT_SECRET = "dev-only-secret-change-me"
MIN_SECRET_BYTES = 32
# 32 random bytes hold about 30 distinct values; a repeated pattern holds a handful.
_MIN_DISTINCT_SECRET_BYTES = 16
_HEX = re.compile(r"[0-9a-fA-F]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


def secret_bytes(secret: str) -> bytes | None:
    """The random bytes a secret encodes in hex or base64 (standard or URL-safe, padding
    optional), or None when it is neither."""
    text = secret.strip()
    if len(text) % 2 == 0 and _HEX.fullmatch(text):
        return bytes.fromhex(text)
    if _BASE64.fullmatch(text):
        padded = text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4)
        try:
            return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            return None
    return None


def is_strong_secret(secret: str) -> bool:
    """At least 32 random-looking bytes, hex or base64: ``openssl rand -hex 32``,
    ``openssl rand -base64 32`` or ``python -c 'import secrets; print(secrets.token_urlsafe(32))'``.
    Forty spaces or ``'a' * 32`` are not."""
    raw = secret_bytes(secret)
    return (raw is not None and len(raw) >= MIN_SECRET_BYTES
            and len(set(raw)) >= _MIN_DISTINCT_SECRET_BYTES)


class LimitSettings(BaseSettings):
    """Limits against abuse; one group so operators find them in one place."""

    model_config = SettingsConfigDict(env_prefix="BUENDNIS_LIMIT_", extra="ignore",
                                      hide_input_in_errors=True)

    max_body_bytes: int = 5 * 1024 * 1024
    max_page_size: int = 100
    max_batch_items: int = 500
    # Failed sign-ins within the window: one account from one address is refused after
    # ``per_pair``; one address (across accounts) after ``per_address``. One account from all
    # addresses together is never locked: past ``per_account`` it takes one attempt per
    # ``account_backoff_seconds``, so no stranger can lock its owner out (docs/LIMITS.md).
    login_failures_per_pair: int = 5
    login_failures_per_address: int = 20
    login_failures_per_account: int = 20
    login_account_backoff_seconds: int = 30
    login_window_seconds: int = 900
    requests_per_minute_user: int = 600
    requests_per_minute_client: int = 1200
    requests_per_minute_anonymous: int = 300
    # Inquiries filed without an account, per client address and hour (each queues an e-mail).
    inquiries_per_hour: int = 10
    # Inquiry confirmations to one e-mail address per day (more inquiries are still filed,
    # without another e-mail), and inquiries filed by an alliance's people per day.
    inquiry_confirmations_per_recipient: int = 3
    inquiries_per_alliance_per_day: int = 20
    # Uploaded XLSX workbooks (a zip): the parts together may unpack to at most this many
    # bytes, at most this many times their packed size, and the sheet may hold at most this
    # many rows (blank ones included), so a small file cannot hide a huge sheet.
    xlsx_max_uncompressed_bytes: int = 32 * 1024 * 1024
    xlsx_max_compression_ratio: int = 100
    xlsx_max_sheet_rows: int = 20_000
    # Uploads are parsed in worker threads of their own, never in the database's slots.
    parse_concurrency: int = 2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BUENDNIS_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        # A refused start must not print the configured values (SMTP password, JWT secret).
        hide_input_in_errors=True,
    )

    env: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///./buendnis.db"
    # Database work runs in worker threads behind a limiter; 1 serialises SQLite writes,
    # PostgreSQL over a network profits from a few; measured in docs/PERFORMANCE.md.
    db_concurrency: int = Field(default=0, ge=0, description="0 = 1 for SQLite, 4 otherwise")
    db_pool_size: int = 10
    # A database that accepts but never answers must not hold a request for psycopg's default
    # 130 s: connecting, waiting for a pool connection and each statement are bounded.
    db_connect_timeout_seconds: int = Field(default=5, ge=1, le=120)
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    # How long a request waits for one of the process's database slots (DB_CONCURRENCY) before
    # 503: without it, requests queued behind slots stuck on a dead database waited in turn.
    db_queue_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    db_statement_timeout_ms: int = Field(
        default=30000, ge=100, le=3_600_000,
        description="PostgreSQL statement_timeout; SQLite busy timeout",
    )
    # On a SQLite file the hottest reads (``Db.read``: one row, one bounded page) run in the
    # event loop: handing such a read to a worker thread and back cost more CPU than the read
    # (docs/PERFORMANCE.md, "SQLite reads in the event loop"). Off: they hop like the rest.
    db_sqlite_reads_in_loop: bool = True

    jwt_secret: str = DEFAULT_JWT_SECRET
    jwt_issuer: str = "buendnisportal"
    jwt_audience: str = "buendnisportal-api"
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    invitation_days: int = Field(default=7, ge=1, le=60)

    cors_origins: list[str] = ["http://localhost:5173", "http://127.0.0.1:5173"]
    log_level: str = "INFO"
    public_base_url: str = "http://127.0.0.1:8000"
    # The SPA people use (https://buendnisportal.de). Set: the certificate's QR code and every
    # link in e-mails lead to its pages ({base}/siegel/pruefen/{code}, {base}/umfrage/{slug});
    # unset: to this API (the verification page answers browsers in HTML). app/core/links.py.
    frontend_base_url: str | None = Field(
        default=None, max_length=300, pattern=r"^https?://[^\s?#]+$",
        description="Base URL of the single-page app; links for people point there when set",
    )
    redis_url: str | None = None
    # Every Redis key starts with this (counters: "<prefix>rl:…"), so several deployments, or
    # test runs, can share one Redis without sharing counts.
    redis_key_prefix: str = Field(default="buendnis:", min_length=1, max_length=100)
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (uvicorn's forwarded_allow_ips): a JSON list of IPs or CIDR networks, or "*" behind a
    # proxy that is the only way in. Empty (the default): the peer's own address counts.
    trusted_proxies: list[str] = []

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_use_tls: bool = Field(default=False, description="Implicit TLS (port 465)")
    smtp_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    mail_from: str = "servicebuero@lokale-buendnisse-fuer-familie.de"
    # Delivery runs from the outbox: in the app (background task) and/or `buendnis send-mail`.
    mail_dispatch: bool = False
    mail_dispatch_interval_seconds: float = Field(default=30.0, gt=0, le=3600)
    mail_batch_size: int = Field(default=50, ge=1, le=1000)
    mail_max_attempts: int = Field(default=5, ge=1, le=20)
    mail_retry_backoff_seconds: list[int] = Field(
        default=[60, 300, 1800, 7200], min_length=1,
        description="Wait before the 2nd, 3rd … attempt; the last value repeats",
    )
    # A claimed message not settled within this time (crashed sender) is tried again.
    mail_claim_seconds: int = Field(default=600, ge=30, le=86400)

    # E-mail content (recipients, bodies) older than this many months is anonymised.
    retention_months: int = Field(default=24, ge=1, le=120)
    # Delegates of events that ended more than this many months ago are anonymised.
    delegate_retention_months: int = Field(default=12, ge=1, le=120)
    # Requesters of inquiries closed more than this many months ago are anonymised.
    inquiry_retention_months: int = Field(default=24, ge=1, le=120)

    # Survey reminders (POST …/notices:remind): at least this many days after an alliance's
    # last notice or reminder, and at most this many reminders per alliance and cycle.
    reminder_min_interval_days: int = Field(default=7, ge=1, le=365)
    reminder_max_count: int = Field(default=3, ge=0, le=20)
    # With true, `buendnis worker` sends the reminders that are due (same rules) in every open
    # survey, checking this often; false: only the Servicebüro's call sends them.
    reminders_automatic: bool = False
    reminder_check_interval_seconds: float = Field(default=3600.0, gt=0, le=7 * 86400)

    # Webhooks (app/webhooks): sent from their outbox by the worker or `buendnis send-webhooks`.
    # After a secret rotation the old secret keeps signing (beside the new one) this long.
    webhook_secret_grace_hours: int = Field(default=24, ge=0, le=24 * 30)
    # Allow endpoints on loopback, private or link-local addresses (tests, development only).
    webhook_allow_private_addresses: bool = False
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    webhook_max_attempts: int = Field(default=8, ge=1, le=20)
    webhook_retry_backoff_seconds: list[int] = Field(
        default=[5, 300, 1800, 7200, 18000, 36000, 36000], min_length=1,
        description="Wait before the 2nd, 3rd … attempt; the last value repeats",
    )
    webhook_batch_size: int = Field(default=50, ge=1, le=1000)
    # A claimed delivery not settled within this time (crashed sender) is tried again.
    webhook_claim_seconds: int = Field(default=300, ge=30, le=86400)
    # Deliveries given up in a row before the endpoint is disabled (0: never).
    webhook_disable_after_failures: int = Field(default=15, ge=0, le=1000)
    # Settled deliveries (sent or given up) older than this are deleted by the retention job.
    webhook_delivery_retention_days: int = Field(default=30, ge=1, le=3650)

    # /metrics (Prometheus): open only with this bearer token; unset = /metrics answers 404.
    metrics_token: str | None = None
    # The worker touches this file after every loop (liveness for a container probe).
    worker_heartbeat_file: str | None = None
    worker_poll_seconds: float = Field(default=5.0, gt=0, le=3600)
    # The worker's own counters (webhook attempts that failed, per outcome) on this port as
    # Prometheus text, so they can be scraped; unset = not served.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    worker_metrics_address: str = "127.0.0.1"
    retention_interval_seconds: float = Field(default=86400.0, gt=0, le=30 * 86400)

    # `buendnis backup` / `restore` give pg_dump / pg_restore at most this long.
    backup_timeout_seconds: float = Field(default=3600.0, gt=0, le=86400)

    # OpenTelemetry traces over OTLP/HTTP (e.g. http://collector:4318/v1/traces); unset = off,
    # nothing of the SDK is imported. Needs the `otel` extra (app/core/tracing.py).
    otel_endpoint: str | None = None
    otel_service_name: str = "buendnisportal"
    otel_timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    limits: LimitSettings = Field(default_factory=LimitSettings)

    @model_validator(mode="after")
    def _refuse_weak_production_secret(self) -> "Settings":
        if self.env == "production" and (
            self.jwt_secret == DEFAULT_JWT_SECRET or not is_strong_secret(self.jwt_secret)
        ):
            # Never echo the value (hide_input_in_errors keeps pydantic from doing it too).
            raise ValueError(
                f"BUENDNIS_JWT_SECRET must be at least {MIN_SECRET_BYTES} random bytes, hex or "
                "base64 encoded (e.g. `openssl rand -hex 32`), in production"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def effective_db_concurrency(self) -> int:
        if self.db_concurrency:
            return self.db_concurrency
        return 1 if self.is_sqlite else 4


@lru_cache
def get_settings() -> Settings:
    return Settings()
