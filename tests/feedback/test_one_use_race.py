"""A feedback link answers once, even when two answers arrive at the same moment (issue 18).

The view refuses a link that is already answered, but two requests can both pass that check
before either writes; then only the database guard (`responded_at IS NULL` in the conditional
UPDATE of `submit_feedback`) stands between the link and a second, overwriting answer. These
tests reach that guard with the view's check out of the way.
"""
import threading

import pytest

from ktc.extensions import db
from ktc.feedback.models import Feedback
from ktc.feedback.operations import AlreadyAnswered, feedback_by_token, submit_feedback
from tests.staging import wait_for_a_lock_wait

TOKEN = "one-use-feedback-token-0123456789abcdef"


def _answers(overall, improve):
    return {"overall": overall, "relevance": 4, "confidence_before": 2, "confidence_after": 4,
            "learned_other_side": 3, "take_back": "Rutiner för kateter", "improve": improve}


@pytest.fixture
def link(make):
    session = make.completed_session()
    booking = make.booking(session, make.participant(), status="attended")
    feedback = make.feedback(session, booking, token=TOKEN)
    db.session.commit()
    return feedback.id


def _stored(feedback_id):
    db.session.expire_all()
    row = db.session.get(Feedback, feedback_id)
    values = (row.overall, row.improve, row.responded_at is not None)
    db.session.commit()
    return values


def test_the_operation_called_twice_stores_the_first_answer_only(link):
    # Both "requests" found the link unanswered, so the view's own check let both through.
    feedback = feedback_by_token(TOKEN)
    assert feedback.responded_at is None
    submit_feedback(feedback, _answers(5, "Mer tid"))
    db.session.commit()
    with pytest.raises(AlreadyAnswered):
        submit_feedback(feedback_by_token(TOKEN), _answers(1, "Skriver över"))
    db.session.rollback()
    assert _stored(link) == (5, "Mer tid", True)


def test_two_simultaneous_answers_store_exactly_one(app, link):
    """PostgreSQL: the second UPDATE waits for the first one's row lock, then finds the link answered."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the second writer cannot start its UPDATE "
                    "while the first is open, so the race is staged on PostgreSQL (the test above "
                    "covers the guard on both databases)")
    db.session.commit()
    both_read = threading.Barrier(2, timeout=30)
    first_written = threading.Event()
    may_commit = threading.Event()
    outcomes = {}

    def answer(name, overall, improve, hold):
        with app.app_context():
            try:
                feedback = feedback_by_token(TOKEN)
                assert feedback.responded_at is None  # the view's check passes for both
                both_read.wait()
                if not hold:
                    first_written.wait(timeout=30)
                submit_feedback(feedback, _answers(overall, improve))
                if hold:
                    first_written.set()
                    may_commit.wait(timeout=30)
                db.session.commit()
                outcomes[name] = "stored"
            except AlreadyAnswered:
                db.session.rollback()
                outcomes[name] = "already answered"
            except Exception as exc:  # reported by the assertions below
                db.session.rollback()
                outcomes[name] = repr(exc)
            finally:
                first_written.set()
                db.session.remove()

    first = threading.Thread(target=answer, args=("first", 5, "Mer tid", True))
    second = threading.Thread(target=answer, args=("second", 1, "Skriver över", False))
    first.start()
    second.start()
    # The first has written but not committed; let it commit once the second waits for its lock.
    assert first_written.wait(timeout=30)
    wait_for_a_lock_wait("the second answer never waited for the first")
    may_commit.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not first.is_alive() and not second.is_alive()
    assert outcomes == {"first": "stored", "second": "already answered"}
    assert _stored(link) == (5, "Mer tid", True)
