"""Join order for SQLite's query planner where its guess walks the wrong table.

SQLite has no table statistics unless ``ANALYZE`` ran, and even with them it picks the join's
outer table by the indexed equality in the WHERE clause. For a page ordered by a column of the
*other* table that means reading and sorting every matching row for each page (the public seal
registry at 65,000 alliances: 9,860 confirmed awards sorted by alliance name, 25 ms per page),
where walking that table's index in order and stopping after the page takes 0.7 ms.
``CROSS JOIN`` is SQLite's documented way to fix the outer table; PostgreSQL's planner weighs
the LIMIT itself and gets a plain ``JOIN``.
"""

from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import FromClause, Join


class OuterFirstJoin(Join):
    """An inner join whose left side SQLite must read first (as the outer loop)."""

    inherit_cache = True


@compiles(OuterFirstJoin, "sqlite")
def _sqlite_cross_join(join: OuterFirstJoin, compiler: SQLCompiler, **kw: Any) -> str:
    # The right side is one table and the ON clause a plain comparison (outer_first_join's
    # signature), so the last JOIN keyword is this join's, whatever the left side holds.
    left, keyword, right = compiler.visit_join(join, **kw).rpartition(" JOIN ")
    assert keyword, "visit_join renders an inner join with JOIN"
    return f"{left} CROSS JOIN {right}"


@compiles(OuterFirstJoin)
def _plain_join(join: OuterFirstJoin, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.visit_join(join, **kw)


def outer_first_join(left: FromClause, right: Table, onclause: Any) -> OuterFirstJoin:
    """``left JOIN right ON onclause``, with ``left`` (a table or a subquery) as SQLite's outer
    loop."""
    return OuterFirstJoin(left, right, onclause)
