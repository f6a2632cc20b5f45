"""events: waiting list, attendance, invitation mails

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:30:00

The waiting list needs no column: ``event_delegate.status`` (a plain string) gains the value
``waitlisted``, and the position follows from created_at/id.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db


revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('event_delegate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('attendance_recorded_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attendance_recorded_by', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
    with op.batch_alter_table('event_invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailed_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
    # Invitations made before this release were seen in the app without a mail; marking them
    # mailed keeps the first invitation call after the deploy from mailing all of them at once.
    op.execute("UPDATE event_invitation SET mailed_at = created_at WHERE mailed_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('event_invitation', schema=None) as batch_op:
        batch_op.drop_column('mailed_at')
    with op.batch_alter_table('event_delegate', schema=None) as batch_op:
        batch_op.drop_column('attendance_recorded_by')
        batch_op.drop_column('attendance_recorded_at')
        batch_op.drop_column('attendance')
