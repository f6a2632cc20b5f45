"""contacts that accept no mail: alliance_contact.accepts_mail

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | Sequence[str] | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every contact so far received mail: the server default keeps it so (expand only).
    with op.batch_alter_table('alliance_contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepts_mail', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('alliance_contact', schema=None) as batch_op:
        batch_op.drop_column('accepts_mail')
