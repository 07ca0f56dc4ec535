"""Leaner indexes on bookings and the outbox, which every booking writes to.

bookings: ix_bookings_session_id went (the unique (session_id, participant_id) index serves every
lookup by session); the waiting-list index holds the side too, so who waits on each side is
counted from the index alone. outbox: one index (status, next_attempt_at) for every list by
status instead of three single-column ones (kind was never asked).

On SQLite the two tables are analysed again: a database analysed before (sqlite_stat1) would
otherwise hold no figures for the new indexes, and SQLite's planner takes an index without figures
for a selective one (the unit feed's query went through every booking of one status instead of the
unit's people). PostgreSQL plans plain column indexes from the table's own statistics.

Revision ID: b7c3e1d2a4f5
Revises: 3875de59cc59
Create Date: 2026-12-01 12:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7c3e1d2a4f5'
down_revision = '3875de59cc59'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_status_session_side', ['status', 'session_id', 'side'], unique=False)
        batch_op.drop_index('ix_bookings_status_session')
        batch_op.drop_index('ix_bookings_session_id')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_next_attempt', ['status', 'next_attempt_at'], unique=False)
        batch_op.drop_index('ix_outbox_status')
        batch_op.drop_index('ix_outbox_next_attempt_at')
        batch_op.drop_index('ix_outbox_kind')

    _analyse_on_sqlite()


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_kind', ['kind'], unique=False)
        batch_op.create_index('ix_outbox_next_attempt_at', ['next_attempt_at'], unique=False)
        batch_op.create_index('ix_outbox_status', ['status'], unique=False)
        batch_op.drop_index('ix_outbox_status_next_attempt')

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_session_id', ['session_id'], unique=False)
        batch_op.create_index('ix_bookings_status_session', ['status', 'session_id'], unique=False)
        batch_op.drop_index('ix_bookings_status_session_side')

    _analyse_on_sqlite()


def _analyse_on_sqlite():
    """Only a database analysed before: figures for two tables alone would tilt the planner's choices
    for the others, which it plans by its rules of thumb while there are none."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is not None:
        op.execute('ANALYZE bookings')
        op.execute('ANALYZE outbox')
