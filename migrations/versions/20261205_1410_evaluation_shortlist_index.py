"""index for the shortlist's pages (a run's evaluations, best score first)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 14:10:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0016'
down_revision: str | Sequence[str] | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_evaluation_run_id_activity_score_id', 'evaluation',
                    ['run_id', 'activity_score', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_evaluation_run_id_activity_score_id', table_name='evaluation')
