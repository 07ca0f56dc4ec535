"""The network digest's period and its edges (issue 18, mutation testing of `create_digest`,
`digest_period_start`, `_lock_digest_runs` and `list_digests` in `ktc/network/operations.py`)."""
from datetime import timedelta

import pytest
from sqlalchemy import text

from ktc.network.operations import DIGEST_LOCK_KEY, create_digest, digest_content, list_digests


def _feedback_at(make, start):
    session = make.completed_session(make.plain_station(), start=start)
    make.feedback(session, make.booking(session, make.participant(), status="attended"), overall=4)
    return session


def test_the_first_digest_starts_at_the_first_session_with_feedback_however_short_its_period(app, make):
    make.completed_session(make.plain_station(), start=make.local(2024, 2, 1, 9))  # no feedback
    first = _feedback_at(make, make.local(2024, 3, 5, 9))
    _feedback_at(make, make.local(2024, 3, 6, 9))
    now = first.start_at + timedelta(days=1)  # well under KTC_NETWORK_DIGEST_MIN_DAYS

    digest = create_digest(now=now)

    assert (digest.period_start, digest.period_end, digest.created_at) == (first.start_at, now, now)
    assert digest_content(digest)["totals"]["sessions"] == 1


def test_no_digest_for_an_empty_period(make):
    first = _feedback_at(make, make.local(2024, 3, 5, 9))
    assert create_digest(now=first.start_at) is None


def test_the_next_digest_is_due_exactly_the_minimum_days_after_the_last(app, make):
    first = _feedback_at(make, make.local(2024, 3, 5, 9))
    end = first.start_at + timedelta(days=3)
    previous = create_digest(now=end)
    days = timedelta(days=app.config["KTC_NETWORK_DIGEST_MIN_DAYS"])

    assert create_digest(now=end + days - timedelta(seconds=1)) is None
    latest = create_digest(now=end + days)
    assert (latest.period_start, latest.period_end) == (end, end + days)
    assert list_digests() == [latest, previous]


def test_a_digest_run_holds_the_digest_lock_until_its_commit(app, db, make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; the advisory lock is PostgreSQL's")
    take = text("SELECT pg_try_advisory_xact_lock(:key)")
    db.session.commit()

    assert create_digest(now=make.local(2024, 3, 5, 9)) is None  # nothing to digest; the lock is held
    with db.engine.connect() as other:
        assert other.execute(take, {"key": DIGEST_LOCK_KEY}).scalar_one() is False
        other.rollback()
        db.session.rollback()
        assert other.execute(take, {"key": DIGEST_LOCK_KEY}).scalar_one() is True
        other.rollback()
