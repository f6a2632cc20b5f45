"""alliance (state, name) index: a Land's alliances in name order, replacing the index on state

The seal registry and the alliance list filtered by Land walk one Land's alliances in name order
from it instead of every alliance's name index entry (docs/PERFORMANCE.md). An index on state
alone is its prefix, so it goes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0018'
down_revision: str | Sequence[str] | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_alliance_state_name', 'alliance', ['state', 'name'], unique=False)
    op.drop_index('ix_alliance_state', table_name='alliance')


def downgrade() -> None:
    op.create_index('ix_alliance_state', 'alliance', ['state'], unique=False)
    op.drop_index('ix_alliance_state_name', table_name='alliance')
