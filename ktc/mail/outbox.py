"""Queue messages in the outbox, inside the caller's transaction."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ktc.extensions import db
from ktc.mail.models import OutboxMessage


def dedupe_key(kind, key, recipient):
    return f"{kind}:{key}:{recipient.lower()}"[:200]


def is_queued(kind, key, recipient):
    """Whether this message (same kind, cause and recipient) was ever queued."""
    return db.session.execute(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key(kind, key, recipient))
    ).first() is not None


def enqueue(kind, key, recipient, subject, body_text, body_html=None, ics=None, ics_method=None, checked=False):
    """Add a message unless one with the same key is already queued; returns the row or None.

    `key` identifies the cause (kind, object, sequence) so that a rerun never queues twice;
    the unique constraint on `dedupe_key` is the backstop if two transactions race (the insert
    runs in a savepoint so the loser just skips it and keeps its own transaction). `checked`:
    the caller has just asked `is_queued` itself (before rendering), so it is not asked again.
    """
    if not recipient:
        return None
    if not checked and is_queued(kind, key, recipient):
        return None
    message = OutboxMessage(
        dedupe_key=dedupe_key(kind, key, recipient),
        kind=kind,
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        ics=ics,
        ics_method=ics_method,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None
    return message
