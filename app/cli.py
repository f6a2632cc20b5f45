"""The ``buendnis`` command: serve, migrate, seed-demo, create-admin, openapi."""

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

OPENAPI_PATH = Path("openapi/openapi.json")


def _migrate(_: argparse.Namespace) -> int:
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent.parent
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    command.upgrade(config, "head")
    print("database migrated to head")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.core.config import get_settings
    from app.core.db import server_loop

    uvicorn.run(
        "app.main:app", host=args.host, port=args.port, reload=args.reload,
        # X-Forwarded-* is believed only from BUENDNIS_TRUSTED_PROXIES, by the app itself
        # (app/main.py); uvicorn's own default would trust any local process (127.0.0.1).
        workers=args.workers, proxy_headers=False, access_log=False,
        log_level=get_settings().log_level.lower(), loop=server_loop(),
    )
    return 0


def _seed_demo(_: argparse.Namespace) -> int:
    from app.core.config import get_settings
    from app.core.db import new_session
    from app.demo.seed import seed_demo

    if get_settings().env == "production" and os.environ.get("BUENDNIS_ALLOW_DEMO") != "1":
        print("refusing to load demo data in production (set BUENDNIS_ALLOW_DEMO=1)", file=sys.stderr)
        return 2
    with new_session() as session:
        report = seed_demo(session)
    created = ", ".join(f"{n} {what}" for what, n in report.created.items()) or "nothing new"
    print(f"demo data loaded ({created})")
    print("demo logins (development only):")
    for role, email, password in report.logins:
        print(f"  {role:<14} {email:<55} {password}")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from app.auth.models import Role, User
    from app.core import security
    from app.core.db import new_session

    password = os.environ.get("BUENDNIS_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("set BUENDNIS_ADMIN_PASSWORD or run interactively", file=sys.stderr)
            return 2
        password = getpass.getpass("Password for the new admin: ")
        if password != getpass.getpass("Repeat: "):
            print("passwords differ", file=sys.stderr)
            return 2
    if len(password) < 12:
        print("the password needs at least 12 characters", file=sys.stderr)
        return 2
    email = args.email.strip().lower()
    with new_session() as session:
        if session.exec(select(User).where(User.email == email)).first() is not None:
            print(f"a user with e-mail {email} exists already", file=sys.stderr)
            return 1
        session.add(User(email=email, full_name=args.name, role=Role.admin,
                         password_hash=security.hash_password(password)))
        session.commit()
    print("admin created")
    return 0


def _months(value: str) -> int:
    # A zero or negative period would put the cutoff in the future and erase everything.
    if not value.isdigit() or not 1 <= int(value) <= 120:
        raise argparse.ArgumentTypeError("must be a whole number of months from 1 to 120")
    return int(value)


def _retention(args: argparse.Namespace) -> int:
    from app.core.config import get_settings
    from app.core.db import new_session
    from app.core.idempotency import purge_expired
    from app.privacy.retention import RetentionPolicy, apply_retention

    policy = RetentionPolicy.from_settings(get_settings(), args.months)
    with new_session() as session:
        report = apply_retention(session, policy, dry_run=args.dry_run)
        purged = None if args.dry_run else purge_expired(session)
    verb = "would anonymise" if report.dry_run else "anonymised"
    print(f"{verb} {report.messages} e-mail(s) and {report.notices} notice recipient(s) "
          f"older than {report.cutoff:%Y-%m-%d}")
    print(f"{verb} {report.delegates} delegate(s) of {report.events} event(s) "
          f"that ended before {report.delegate_cutoff:%Y-%m-%d}")
    print(f"{verb} the requesters of {report.inquiries} inquiry(ies) "
          f"closed before {report.inquiry_cutoff:%Y-%m-%d}")
    if purged is not None:
        print(f"deleted {purged} expired idempotency record(s)")
    return 0


def _send_mail(_: argparse.Namespace) -> int:
    """One delivery pass over the outbox (for cron when the app runs no dispatcher)."""
    import asyncio

    from app.core.config import get_settings
    from app.core.db import new_session
    from app.mail.dispatch import dispatch_due
    from app.mail.senders import MailNotConfigured, sender_from_settings

    settings = get_settings()
    try:
        sender = sender_from_settings(settings)
    except MailNotConfigured as exc:
        print(f"send-mail: {exc}", file=sys.stderr)
        return 2
    with new_session() as session:
        report = asyncio.run(dispatch_due(session, sender, settings=settings))
    print(f"mail: {report.sent} sent, {report.retrying} to retry later, {report.failed} failed")
    return 0


def _send_reminders(_: argparse.Namespace) -> int:
    """The survey reminders that are due in every open survey (for cron when no worker sends
    them); the same rules as the Servicebüro's call, so running it often never sends twice."""
    from app.core.db import new_session
    from app.notices.reminders import remind_open_cycles

    with new_session() as session:
        reports = remind_open_cycles(session, actor="system:cron")
    for report in reports:
        print(f"reminders {report.cycle_key}: {report.reminders_queued} queued, "
              f"{sum(report.skipped_counts.values())} skipped")
    if not reports:
        print("reminders: no survey takes answers now")
    return 0


def _send_webhooks(_: argparse.Namespace) -> int:
    """One delivery pass over the webhook outbox (for cron when no worker runs)."""
    from app.core.db import new_session
    from app.webhooks.delivery import send_due

    with new_session() as session:
        report = send_due(session)
    print(f"webhooks: {report}")
    return 0


def _worker(_: argparse.Namespace) -> int:
    """Deliver mail and run retention until SIGTERM (finishes the current item, then exits)."""
    from app.core.config import get_settings
    from app.core.logging import configure_logging
    from app.worker.runner import main as worker_main

    configure_logging(get_settings().log_level)
    return worker_main()


def _backup(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from app.backups.service import BackupError, backup
    from app.core.config import get_settings

    url = get_settings().database_url
    suffix = "sqlite3" if url.startswith("sqlite") else "dump"
    target = Path(args.output or f"backups/buendnis-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{suffix}")
    try:
        backup(url, target)
    except BackupError as exc:
        print(f"backup failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {target}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from app.backups.service import BackupError, restore
    from app.core.config import get_settings

    if not args.yes:
        print("restore replaces every row of the configured database; add --yes", file=sys.stderr)
        return 2
    try:
        restore(get_settings().database_url, Path(args.input))
    except BackupError as exc:
        print(f"restore failed: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.input}")
    return 0


def render_openapi() -> str:
    from app.main import create_app

    return json.dumps(create_app().openapi(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    path = Path(args.output)
    rendered = render_openapi()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != rendered:
            print(f"{path} is stale: run `buendnis openapi` and commit it", file=sys.stderr)
            return 1
        print(f"{path} is current")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rendered, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="buendnis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--reload", action="store_true")
    serve.set_defaults(func=_serve)

    sub.add_parser("migrate", help="apply Alembic migrations").set_defaults(func=_migrate)
    sub.add_parser("seed-demo", help="load demo data (idempotent)").set_defaults(func=_seed_demo)

    admin = sub.add_parser("create-admin", help="create a Servicebüro admin")
    admin.add_argument("--email", required=True)
    admin.add_argument("--name", default="Servicebüro")
    admin.set_defaults(func=_create_admin)

    retention = sub.add_parser(
        "retention", help="anonymise personal data past retention (e-mails, event delegates, "
        "closed inquiries); drop expired idempotency keys",
    )
    retention.add_argument("--dry-run", action="store_true", help="only report what would change")
    retention.add_argument("--months", type=_months, default=None,
                           help="one period (1-120) for all three instead of the settings")
    retention.set_defaults(func=_retention)

    sub.add_parser("send-mail", help="deliver due e-mails from the outbox (one pass)") \
        .set_defaults(func=_send_mail)

    sub.add_parser("send-webhooks", help="deliver due webhooks from their outbox (one pass)") \
        .set_defaults(func=_send_webhooks)
    sub.add_parser("send-reminders", help="queue the survey reminders that are due (one pass)") \
        .set_defaults(func=_send_reminders)

    sub.add_parser("worker", help="run outbox delivery and retention until SIGTERM") \
        .set_defaults(func=_worker)

    dump = sub.add_parser("backup", help="back up the database (SQLite backup API / pg_dump)")
    dump.add_argument("--output", default=None,
                      help="file to write (default: backups/buendnis-<UTC time>.sqlite3|.dump)")
    dump.set_defaults(func=_backup)
    load = sub.add_parser("restore", help="replace the database's contents with a backup")
    load.add_argument("input", help="a file written by `buendnis backup`")
    load.add_argument("--yes", action="store_true", help="confirm: every row is replaced")
    load.set_defaults(func=_restore)

    spec = sub.add_parser("openapi", help="write openapi/openapi.json")
    spec.add_argument("--output", default=str(OPENAPI_PATH))
    spec.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    spec.set_defaults(func=_openapi)
    return parser


# Commands that read or write rows. They load every table first: a command that imports only
# some (create-admin once imported only User) fails on a fresh interpreter when a foreign key
# names a table it never loaded, and the test process, which has loaded them all, hides it.
_DATABASE_COMMANDS = frozenset({"seed-demo", "create-admin", "retention", "send-mail", "send-webhooks",
                                "send-reminders", "worker"})


def main(argv: list[str] | None = None) -> int:
    import importlib

    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from app.core.logging import set_actor

    args = build_parser().parse_args(argv)
    try:
        if args.command in _DATABASE_COMMANDS:
            importlib.import_module("app.models")  # every table, the audit hook, outbox listeners
            if (refusal := _unmigrated()) is not None:
                print(f"{args.command}: {refusal}", file=sys.stderr)
                return 2
        set_actor("system")  # writes from the command line are audited as the system
        return int(args.func(args))
    except ValidationError as exc:
        # A person reads this, not a traceback; the settings hide their values (no secrets).
        for error in exc.errors(include_url=False, include_input=False):
            name = "BUENDNIS_" + "__".join(str(part) for part in error["loc"]).upper()
            where = name if error["loc"] else "BUENDNIS_* settings"
            print(f"{args.command}: configuration: {where}: {error['msg']}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        # The driver's message may quote the URL with its password: the kind of failure only.
        print(f"{args.command}: the database does not answer ({type(exc.orig).__name__}); "
              "check BUENDNIS_DATABASE_URL and that the server runs", file=sys.stderr)
        return 2


def _unmigrated() -> str | None:
    """Why a command that reads or writes rows cannot run on this database, or None."""
    from sqlalchemy import inspect

    from app.core.db import get_engine

    with get_engine().connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return "the database has no tables yet: run `buendnis migrate` first"
    return None


if __name__ == "__main__":
    sys.exit(main())
