"""Queue messages in the outbox, inside the caller's transaction."""
from sqlalchemy import select

from ktc.extensions import db
from ktc.mail.models import OutboxMessage


def enqueue(kind, key, recipient, subject, body_text, body_html=None, ics=None, ics_method=None):
    """Add a message unless one with the same key is already queued; returns the row or None.

    `key` identifies the cause (kind, object, sequence) so that a rerun never queues twice;
    the unique constraint on `dedupe_key` is the backstop if two transactions race.
    """
    if not recipient:
        return None
    dedupe_key = f"{kind}:{key}:{recipient}"
    existing = db.session.execute(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
    ).scalar_one_or_none()
    if existing is not None:
        return None
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        kind=kind,
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        ics=ics,
        ics_method=ics_method,
    )
    db.session.add(message)
    return message
