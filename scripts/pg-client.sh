#!/usr/bin/env bash
# Make sure pg_dump/pg_restore exist and are at least the PostgreSQL server's major version
# (pg_dump refuses newer servers). Installs Debian's postgresql-client-<major> when needed.
# The server's major version is read from BUENDNIS_DATABASE_URL, or set PG_MAJOR=16.
set -euo pipefail
cd "$(dirname "$0")/.."

major="${PG_MAJOR:-}"
if [[ -z "$major" ]]; then
  major="$(.venv/bin/python - <<'PY'
import psycopg
from sqlalchemy.engine import make_url
from app.core.config import get_settings
url = make_url(get_settings().database_url)
if url.get_backend_name() != "postgresql":
    raise SystemExit(0)
conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
with psycopg.connect(conninfo, connect_timeout=5) as conn:
    print(conn.info.server_version // 10000)
PY
)"
fi
if [[ -z "$major" ]]; then
  echo "SQLite database: no PostgreSQL client tools needed (backups use SQLite's backup API)"
  exit 0
fi

have=""
if command -v pg_dump >/dev/null; then
  have="$(pg_dump --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')"
fi
if [[ -n "$have" && "$have" -ge "$major" ]]; then
  echo "pg_dump $have is fine for server $major"
  exit 0
fi

echo "installing postgresql-client-$major (have: ${have:-none})"
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
$SUDO apt-get update
# Debian ships one major per release; other majors come from the PGDG repository
# (https://wiki.postgresql.org/wiki/Apt), which provides postgresql-client-<major> as well.
$SUDO apt-get install -y --no-install-recommends "postgresql-client-$major"
