"""indexes for incremental pulls (?updated_since=) of alliances, responses and awards

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | Sequence[str] | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_alliance_updated_at', 'alliance', ['updated_at'], unique=False)
    op.create_index('ix_survey_response_cycle_id_updated_at', 'survey_response',
                    ['cycle_id', 'updated_at'], unique=False)
    op.create_index('ix_award_cycle_id_updated_at', 'award', ['cycle_id', 'updated_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_award_cycle_id_updated_at', table_name='award')
    op.drop_index('ix_survey_response_cycle_id_updated_at', table_name='survey_response')
    op.drop_index('ix_alliance_updated_at', table_name='alliance')
