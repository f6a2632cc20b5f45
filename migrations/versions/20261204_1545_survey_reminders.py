"""survey reminders: the kind of a survey notice (notice or reminder)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 15:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every notice recorded so far was an invitation: the server default says so.
    with op.batch_alter_table('survey_notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False,
                                      server_default='notice'))
        batch_op.create_index(batch_op.f('ix_survey_notice_kind'), ['kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('survey_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_notice_kind'))
        batch_op.drop_column('kind')
