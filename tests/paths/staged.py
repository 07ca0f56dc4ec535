"""Two writers staged against each other on PostgreSQL, as in tests/feedback/test_one_use_race.py.

Both load what they will change; the first writes and keeps its transaction open until the second
is seen waiting for a lock (pg_locks), then both commit. Without a lock taken before reading, the
second works on what it loaded before the first wrote.
"""
import threading

import pytest

from ktc.errors import DomainError
from ktc.extensions import db
from tests.staging import wait_for_a_lock_wait


def skip_unless_postgres():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so the writers cannot "
                    "interleave there; the race is staged on PostgreSQL")


def staged(app, first, second):
    """`first` and `second` are (load, act) pairs; returns {"first": outcome, "second": outcome}.

    An outcome is "done", "refused: <message>" for a DomainError, or the repr of any other error.
    """
    db.session.commit()  # the test holds no lock of its own
    both_loaded = threading.Barrier(2, timeout=30)
    first_written = threading.Event()
    may_commit = threading.Event()
    outcomes = {}

    def run(name, load, act, hold):
        with app.app_context():
            try:
                loaded = load()
                both_loaded.wait()
                if not hold:
                    first_written.wait(timeout=30)
                act(loaded)
                if hold:
                    first_written.set()
                    may_commit.wait(timeout=30)
                db.session.commit()
                outcomes[name] = "done"
            except DomainError as exc:
                db.session.rollback()
                outcomes[name] = f"refused: {exc}"
            except Exception as exc:  # reported by the caller's assertions
                db.session.rollback()
                outcomes[name] = repr(exc)
            finally:
                first_written.set()
                db.session.remove()

    threads = [threading.Thread(target=run, args=("first", *first, True)),
               threading.Thread(target=run, args=("second", *second, False))]
    for t in threads:
        t.start()
    assert first_written.wait(timeout=30)
    wait_for_a_lock_wait("the second writer never waited for the first", on_failure=may_commit.set)
    may_commit.set()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return outcomes
