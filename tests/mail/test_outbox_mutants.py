"""The outbox's de-duplication, rule by rule: tests written in answer to mutation testing (docs/MUTATION.md)."""
import pytest
from sqlalchemy import select

from ktc.extensions import db
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
