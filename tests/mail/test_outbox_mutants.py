"""The outbox's de-duplication, rule by rule: tests written in answer to mutation testing (docs/MUTATION.md)."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ktc.database import utcnow
from ktc.extensions import db
from ktc.mail import sender
from ktc.mail.models import OutboxMessage
from ktc.mail.notify import queue_email
from ktc.mail.outbox import enqueue, enqueue_event, is_queued


def test_a_message_counts_as_queued_for_its_kind_cause_and_recipient_only(app):
    enqueue("reminder", "s1:b1", "Anna.Ahl@Example.org", "Påminnelse", "Text")
    assert is_queued("reminder", "s1:b1", "anna.ahl@example.org")  # the address in any case
    assert not is_queued("reminder", "s1:b2", "anna.ahl@example.org")
    assert not is_queued("booking_confirmed", "s1:b1", "anna.ahl@example.org")
    assert not is_queued("reminder", "s1:b1", "bo.berg@example.org")


def test_a_message_queued_before_is_neither_rendered_nor_queued_again(app):
    enqueue("reminder", "s1:b1", "anna.ahl@example.org", "Påminnelse", "Text")

    def render_again():
        pytest.fail("the message was rendered again")

    assert queue_email("reminder", "s1:b1", "anna.ahl@example.org", render_again, "emails/reminder",
                       render_again, render_again, invitation=render_again) is None
    assert len(db.session.execute(select(OutboxMessage)).all()) == 1


def test_a_long_cause_still_fits_the_key_column_and_is_queued_once(app):
    length = OutboxMessage.__table__.c.dedupe_key.type.length
    key = "x" * (length + 50)
    first = enqueue_event("booking_confirmed", key, "anna.ahl@example.org", None)
    assert first is not None
    (stored,) = db.session.execute(select(OutboxMessage.dedupe_key)).scalars()
    assert len(stored) == length
    assert enqueue_event("booking_confirmed", key, "anna.ahl@example.org", None) is None


class _NoServer:
    def send(self, *_args):
        pytest.fail("a message not due yet was sent")


def test_a_message_put_back_for_later_after_the_run_listed_it_is_not_sent_early(app):
    # The run lists the due messages; before it claims this one, another sender tried it, failed
    # and set its next attempt an hour ahead. The claim must see that and leave it.
    row = enqueue("test", "m1", "anna.ahl@example.org", "Meddelande", "Text")
    db.session.commit()
    now = utcnow()
    assert sender._due_ids(now) == [row.id]
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == row.id)
                       .values(attempts=1, next_attempt_at=now + timedelta(hours=1)))
    db.session.commit()
    assert sender._send_one(_NoServer(), row.id, now) == sender.TAKEN
    assert db.session.get(OutboxMessage, row.id).status == "pending"


def test_two_kinds_of_event_with_the_same_cause_are_both_queued(app):
    assert enqueue_event("booking_confirmed", "b1:1", "anna.ahl@example.org", None) is not None
    assert enqueue_event("booking_cancelled", "b1:1", "anna.ahl@example.org", None) is not None
    assert enqueue_event("booking_cancelled", "b1:1", "anna.ahl@example.org", None) is None
