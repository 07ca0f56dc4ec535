"""Queue messages in the outbox, inside the caller's transaction."""
from sqlalchemy import select

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


def enqueue_event(kind, key, recipient, booking_id, ics_method=None, ics_sequence=None, detail=None):
    """Add an event that the sender renders when it sends (ktc/mail/render.py); returns the row or None.

    `ics_method` and `ics_sequence` are decided now, in the transaction of the change: the
    invitation keeps the METHOD and SEQUENCE of the moment, whatever it shows of the session then.
    """
    return _add(kind, key, recipient, booking_id=booking_id, ics_method=ics_method, ics_sequence=ics_sequence,
                detail=detail)
