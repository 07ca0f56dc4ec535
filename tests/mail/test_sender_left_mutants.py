"""The sender's bookkeeping, the rules the fourth mutation run left without a test (docs/MUTATION.md):
what a sent message records, and when a claim counts as abandoned."""
from datetime import timedelta
from itertools import count

from sqlalchemy import update

from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail import sender
from ktc.mail.models import OutboxMessage
from ktc.mail.outbox import enqueue

_numbers = count()


def _message(**values):
    row = enqueue("test", f"m{next(_numbers)}", "anna.ahl@example.org", "Meddelande", "Text")
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(**values))
    db.session.commit()
    return row.id


def test_a_sent_message_records_when_and_forgets_the_last_error(app):
    before = utcnow()
    message_id = _message(status="sending", claimed_at=before, attempts=1, last_error="421 try again later")

    sender._mark_sent(message_id)

    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert message.status == "sent"
    assert message.sent_at is not None and before <= message.sent_at <= utcnow()
    assert message.last_error is None and message.claimed_at is None


def test_a_claim_counts_as_abandoned_only_after_the_whole_stale_time(app):
    now = utcnow()
    at_the_limit = _message(status="sending", claimed_at=now - sender.STALE_AFTER)
    beyond = _message(status="sending", claimed_at=now - sender.STALE_AFTER - timedelta(seconds=1))

    assert sender.requeue_stale(now) == 1

    db.session.expire_all()
    assert db.session.get(OutboxMessage, at_the_limit).status == "sending"
    assert db.session.get(OutboxMessage, beyond).status == "pending"
