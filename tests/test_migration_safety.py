"""The expand/contract check (scripts/check_migrations.py): the shipped migrations pass, and
a drop or rename in upgrade() is flagged unless the file is the contract step of an earlier
expand."""

import importlib.util
import textwrap
from pathlib import Path

import pytest

from tests import dbsetup

_spec = importlib.util.spec_from_file_location(
    "check_migrations", dbsetup.ROOT / "scripts" / "check_migrations.py")
assert _spec is not None and _spec.loader is not None
check_migrations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_migrations)


def test_the_shipped_migrations_are_expand_contract_safe():
    assert check_migrations.check() == []


@pytest.mark.parametrize(("body", "flagged"), [
    ("op.add_column('alliance', sa.Column('x', sa.Integer()))", []),
    ("op.create_index('ix', 'alliance', ['name'])", []),
    ("op.drop_column('alliance', 'name')", ["drop_column"]),
    ("op.drop_table('alliance')", ["drop_table"]),
    ("op.rename_table('alliance', 'buendnis')", ["rename_table"]),
    ("op.alter_column('alliance', 'name', new_column_name='title')",
     ["alter_column(new_column_name=…)"]),
    ("op.alter_column('alliance', 'name', nullable=True)", []),
    ("with op.batch_alter_table('alliance') as batch_op:\n        batch_op.drop_column('name')",
     ["drop_column"]),
    ("op.execute('ALTER TABLE alliance DROP COLUMN name')", ["SQL DROP COLUMN"]),
    ("op.execute('ALTER TABLE alliance RENAME COLUMN a TO b')", ["SQL RENAME COLUMN"]),
])
def test_destructive_steps_in_upgrade(body, flagged):
    source = f"def upgrade():\n    {body}\n\ndef downgrade():\n    op.drop_table('x')\n"
    assert [what for _, what in check_migrations.destructive_steps(source)] == flagged


def _migration(folder: Path, revision: str, down: str | None, body: str, extra: str = "") -> None:
    (folder / f"2026_{revision}.py").write_text(textwrap.dedent(f"""\
        revision = {revision!r}
        down_revision = {down!r}
        {extra}
        def upgrade():
            {body}
        """), encoding="utf-8")


def test_a_contract_step_must_name_an_earlier_expand(tmp_path):
    _migration(tmp_path, "0001", None, "op.add_column('alliance', sa.Column('title'))")
    _migration(tmp_path, "0002", "0001", "op.drop_column('alliance', 'name')")
    assert [f.file for f in check_migrations.check(tmp_path)] == ["2026_0002.py"]

    _migration(tmp_path, "0002", "0001", "op.drop_column('alliance', 'name')",
               extra="contract_of = '0001'")
    assert check_migrations.check(tmp_path) == []

    _migration(tmp_path, "0002", "0001", "op.drop_column('alliance', 'name')",
               extra="contract_of = '0099'")
    [finding] = check_migrations.check(tmp_path)
    assert "names no earlier migration" in str(finding)
