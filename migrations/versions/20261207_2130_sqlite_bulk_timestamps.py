"""SQLite: timestamps of bulk-written rows in the ORM's form (no "+00:00" offset)

The partner batch and the evaluation run hand rows to the driver ready-made. Until this
release their timestamps reached SQLite as ``datetime`` objects, which sqlite3's default
adapter stores as ``2026-12-07 21:30:00.123456+00:00``; the ORM stores the same instant as
``2026-12-07 21:30:00.123456``. Text compares character by character, so such rows sorted
apart from their own cursor and paging by ``updated_at`` never ended. Every value is UTC
(``UTCDateTime`` converts before storing), so dropping the offset loses nothing; the adapter
left out the fraction of a whole second, which the ORM writes as ``.000000``.

PostgreSQL stores ``timestamptz`` and is not touched. Downgrade keeps the repaired values:
they are what every other row holds.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 21:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0019'
down_revision: str | Sequence[str] | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns the bulk writers (surveys/store.py, evaluation/plan.py) filled themselves.
BULK_TIMESTAMPS = {
    'survey_response': ('created_at', 'updated_at', 'submitted_at'),
    'response_revision': ('created_at',),
    'evaluation': ('created_at',),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    for table, columns in BULK_TIMESTAMPS.items():
        for column in columns:
            # 'YYYY-MM-DD HH:MM:SS.ffffff+00:00' (32 characters) and, for a whole second,
            # 'YYYY-MM-DD HH:MM:SS+00:00' (25).
            op.execute(
                f"UPDATE {table} SET {column} = CASE length({column}) "  # noqa: S608 (constants)
                f"WHEN 32 THEN substr({column}, 1, 26) "
                f"ELSE substr({column}, 1, 19) || '.000000' END "
                f"WHERE typeof({column}) = 'text' AND {column} LIKE '%+00:00' "
                f"AND length({column}) IN (25, 32)"
            )


def downgrade() -> None:
    pass
