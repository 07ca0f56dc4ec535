"""Two admins reorder the steps of one path at the same moment: the order stays whole.

A move renumbers the path's steps from the order it read. Two moves at once would each write an
order computed from the other's stale one: with steps 1-2-3, "move 3 up" writes 1-3-2 while "move 2
up", read before that committed, writes 2-1-3 over it, and steps 1 and 3 both end at position 2.
`_lock_steps` takes the path's row lock first and rereads the steps, so the second move works on
the first one's result. Staged on PostgreSQL (SQLite's BEGIN IMMEDIATE serialises whole requests).
"""
import threading

import pytest
from sqlalchemy import select, text

from ktc.extensions import db
from ktc.paths import operations as ops
from ktc.paths.models import PathStep


@pytest.fixture
def steps():
    path = ops.create_path("Ordning")
    made = [ops.add_step(path, "module", title=f"Modul {i}", url=f"https://example.org/{i}") for i in (1, 2, 3)]
    db.session.commit()
    return path.id, [s.id for s in made]


def _race(app, first_step, second_step):
    """Move `first_step` up and hold the transaction open until `second_step`'s move waits; then commit both."""
    db.session.commit()
    first_written = threading.Event()
    may_commit = threading.Event()
    outcomes = {}

    def move(name, step_id, hold):
        with app.app_context():
            try:
                step = db.session.get(PathStep, step_id)
                step.path.steps  # noqa: B018 (both requests have read the order before either writes)
                if not hold:
                    first_written.wait(timeout=30)
                ops.move_step(step, -1)
                if hold:
                    first_written.set()
                    may_commit.wait(timeout=30)
                db.session.commit()
                outcomes[name] = "moved"
            except Exception as exc:  # reported by the assertions
                db.session.rollback()
                outcomes[name] = repr(exc)
            finally:
                first_written.set()
                db.session.remove()

    threads = [threading.Thread(target=move, args=("first", first_step, True)),
               threading.Thread(target=move, args=("second", second_step, False))]
    for t in threads:
        t.start()
    assert first_written.wait(timeout=30)
    with db.engine.connect() as watcher:
        for _ in range(100_000):
            if watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one():
                break
            watcher.rollback()
        else:
            raise AssertionError("the second move never waited for the first")
    may_commit.set()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return outcomes


def _order(path_id):
    db.session.expire_all()
    rows = db.session.execute(select(PathStep.id, PathStep.position).where(PathStep.path_id == path_id)
                              .order_by(PathStep.position, PathStep.id)).all()
    db.session.commit()
    return rows


def _skip_unless_postgres():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE), so the moves cannot "
                    "interleave there; the race is staged on PostgreSQL")


def test_two_moves_at_once_both_apply_and_positions_stay_distinct(app, steps):
    _skip_unless_postgres()
    path_id, (s1, s2, s3) = steps
    assert _race(app, s3, s2) == {"first": "moved", "second": "moved"}
    # 1-2-3, then 3 up (1-3-2), then 2 up from there (1-2-3).
    assert _order(path_id) == [(s1, 1), (s2, 2), (s3, 3)]


def test_control_without_the_lock_the_order_breaks(app, steps):
    """Proves the test above can fail: without the path lock the second move writes a stale order."""
    _skip_unless_postgres()
    path_id, _ids = steps
    app.config["KTC_PATH_STEP_LOCK"] = False
    try:
        _s1, s2, s3 = _ids
        _race(app, s3, s2)
    finally:
        app.config["KTC_PATH_STEP_LOCK"] = True
    positions = [position for _id, position in _order(path_id)]
    assert positions != [1, 2, 3]
