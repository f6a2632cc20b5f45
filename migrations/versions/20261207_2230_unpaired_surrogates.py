"""JSON documents stored with unpaired surrogates: each one replaced by U+FFFD

Until this release text input could carry an unpaired surrogate (a JSON escape such as
``\\ud800`` without its partner). Text columns could never store one (the drivers refuse to
encode it), but JSON columns could: ``json.dumps`` writes it back as the same escape. Every
reply that read such a document then failed to encode (a 500 on every read of that survey
response, question, criterion ...). The input is refused now (app/core/nul.py); this repairs
what was stored before, the one way that loses nothing a reader could have used: the
replacement character stands where no character was.

Documents are found by the escape's text (``\\ud`` in any case: valid pairs, as ``json.dumps``
writes emoji, match too and are read but left as they are) and rewritten only when a lone
surrogate is in them. The audit trail is append-only (PostgreSQL refuses UPDATE there) and
holds no free text: its sensitive values are masked. Downgrade keeps the repaired values.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 22:30:00
"""
import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | Sequence[str] | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every JSON column at this revision but the audit trail's (primary key "id" in each table).
JSON_COLUMNS = {
    'survey_response': ('answers', 'score_breakdown'),
    'response_revision': ('answers',),
    'question': ('options', 'scoring'),
    'seal_criterion': ('rule',),
    'evaluation_run': ('criteria_snapshot',),
    'evaluation': ('criteria_results',),
    'workgroup_result': ('links',),
    'webhook_endpoint': ('event_types',),
    'idempotency_record': ('response',),
}
_LONE = re.compile('[\ud800-\udfff]')
_CHUNK = 500


def repaired(value: Any) -> Any:
    """``value`` with every unpaired surrogate in its strings and keys replaced by U+FFFD. A key
    that would then equal another one is written with its escapes instead (``k\\udc00``), so
    no value is lost."""
    if isinstance(value, str):
        return _LONE.sub('\ufffd', value)
    if isinstance(value, list):
        return [repaired(item) for item in value]
    if isinstance(value, dict):
        fixed: dict[Any, Any] = {}
        for key, item in value.items():
            name = repaired(key)
            if name in fixed:  # two keys told apart only by their surrogates: both are kept
                name = key.encode('utf-8', 'backslashreplace').decode('ascii', 'backslashreplace')
            fixed[name] = repaired(item)
        return fixed
    return value


def _candidate_ids(bind: sa.Connection, table: str, column: str) -> list[int]:
    find = 'strpos' if bind.dialect.name == 'postgresql' else 'instr'
    query = sa.text(
        f"SELECT id FROM {table} WHERE {column} IS NOT NULL "  # noqa: S608 (constants)
        f"AND {find}(lower(CAST({column} AS TEXT)), :needle) > 0 ORDER BY id")
    return list(bind.execute(query, {'needle': '\\ud'}).scalars())


def upgrade() -> None:
    bind = op.get_bind()
    cast = '::json' if bind.dialect.name == 'postgresql' else ''
    for table, columns in JSON_COLUMNS.items():
        for column in columns:
            ids = _candidate_ids(bind, table, column)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start:start + _CHUNK]
                rows = bind.execute(
                    sa.text(f"SELECT id, CAST({column} AS TEXT) FROM {table} "  # noqa: S608 (constants)
                            "WHERE id IN :ids").bindparams(sa.bindparam('ids', expanding=True)),
                    {'ids': chunk}).all()
                for row_id, text in rows:
                    document = json.loads(text)
                    fixed = repaired(document)
                    if fixed != document:
                        bind.execute(
                            sa.text(f"UPDATE {table} SET {column} = CAST(:doc AS TEXT){cast} "  # noqa: S608 (constants)
                                    "WHERE id = :id"),
                            {'doc': json.dumps(fixed), 'id': row_id})


def downgrade() -> None:
    pass
