"""Queue messages in the outbox, inside the caller's transaction."""
from functools import cache

from sqlalchemy import bindparam, select

from ktc.database import utcnow, write, write_at_commit
from ktc.extensions import db
from ktc.mail.models import OutboxMessage


def dedupe_key(kind, key, recipient):
    return f"{kind}:{key}:{recipient.lower()}"[:200]


def is_queued(kind, key, recipient):
    """Whether this message (same kind, cause and recipient) was ever queued."""
    return db.session.execute(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key(kind, key, recipient))
    ).first() is not None


def _insert():
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(OutboxMessage)


def _add(kind, key, recipient, **values):
    """One `INSERT … ON CONFLICT (dedupe_key) DO NOTHING RETURNING`: the new row, or None if it was queued before.

    `key` identifies the cause (kind, object, sequence) so that a rerun never queues twice; the
    unique `dedupe_key` decides it in the same statement, also when two transactions race (the
    loser's insert waits for the winner's commit and then does nothing), so no SELECT before it
    and no savepoint around it.
    """
    if not recipient:
        return None
    stmt = (
        _insert()
        .values(dedupe_key=dedupe_key(kind, key, recipient), kind=kind, recipient=recipient, **values)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
        .returning(OutboxMessage)
    )
    return db.session.scalars(stmt).first()


def enqueue(kind, key, recipient, subject, body_text, body_html=None, ics=None, ics_method=None):
    """Add a message rendered now unless one with the same key was queued; returns the row or None."""
    return _add(kind, key, recipient, subject=subject, body_text=body_text, body_html=body_html, ics=ics,
                ics_method=ics_method)


def enqueue_event(kind, key, recipient, booking_id, ics_method=None, ics_sequence=None, detail=None,
                  at_commit=False):
    """Add an event that the sender renders when it sends (ktc/mail/render.py).

    `ics_method` and `ics_sequence` are decided now, in the transaction of the change: the
    invitation keeps the METHOD and SEQUENCE of the moment, whatever it shows of the session then.
    Returns the new row's id, or None when the event was queued before.

    `at_commit`: the key names a booking this transaction inserted, so it cannot have been queued
    before and nothing here needs its id: the row goes with the transaction's last statement
    (ktc.database.write_at_commit) and None is returned.
    """
    if not recipient:
        return None
    now = utcnow()
    # Every column with a default is given (a statement sent as a part of another gets none of its
    # defaults filled in: see write_at_commit).
    values = {
        "dedupe_key": dedupe_key(kind, key, recipient), "kind": kind, "recipient": recipient,
        "booking_id": booking_id, "ics_method": ics_method, "ics_sequence": ics_sequence, "detail": detail,
        "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
    }
    # Built once per database, and only the new row's id comes back: the caller asks whether it was
    # queued; building the statement or an ORM object of the row would cost more than the INSERT
    # (this runs in every booking request). Past the ORM session's execute (ktc.database.write), which
    # sends an event kept for the commit (a booking's first) before this one.
    dialect = db.session.get_bind().dialect.name
    if at_commit:
        write_at_commit(_event_statement(dialect, returning=False), values)
        return None
    return write(_event_statement(dialect), values).scalar()


@cache
def _event_statement(dialect, returning=True):
    table = OutboxMessage.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    names = ("dedupe_key", "kind", "recipient", "booking_id", "ics_method", "ics_sequence", "detail", "status",
             "attempts", "next_attempt_at", "created_at")
    stmt = (insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in names})
            .on_conflict_do_nothing(index_elements=[table.c.dedupe_key]))
    return stmt.returning(table.c.id) if returning else stmt
