"""indexes for the event lists' order (starts_at, id) and the seal registry's awards per alliance

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 18:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0017'
down_revision: str | Sequence[str] | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_event_starts_at_id', 'event', ['starts_at', 'id'], unique=False)
    op.create_index('ix_award_alliance_id_status', 'award', ['alliance_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_award_alliance_id_status', table_name='award')
    op.drop_index('ix_event_starts_at_id', table_name='event')
