"""Two admins reorder the steps of one path at the same moment: the order stays whole.

A move renumbers the path's steps from the order it read. Two moves at once would each write an
order computed from the other's stale one: with steps 1-2-3, "move 3 up" writes 1-3-2 while "move 2
up", read before that committed, writes 2-1-3 over it, and steps 1 and 3 both end at position 2.
`_lock_steps` takes the path's row lock first and rereads the steps, so the second move works on
the first one's result. Staged on PostgreSQL (SQLite's BEGIN IMMEDIATE serialises whole requests).
"""
import pytest
from sqlalchemy import select

from ktc.extensions import db
from ktc.paths import operations as ops
from ktc.paths.models import PathStep
from tests.paths.staged import skip_unless_postgres, staged


@pytest.fixture
def steps():
    path = ops.create_path("Ordning")
    made = [ops.add_step(path, "module", title=f"Modul {i}", url=f"https://example.org/{i}") for i in (1, 2, 3)]
    db.session.commit()
    return path.id, [s.id for s in made]


def _move_up(step_id):
    def load():
        step = db.session.get(PathStep, step_id)
        step.path.steps  # noqa: B018 (the order as the page showed it)
        return step

    return load, lambda step: ops.move_step(step, -1)


def _order(path_id):
    db.session.expire_all()
    rows = db.session.execute(select(PathStep.id, PathStep.position).where(PathStep.path_id == path_id)
                              .order_by(PathStep.position, PathStep.id)).all()
    db.session.commit()
    return rows


def test_two_moves_at_once_both_apply_and_positions_stay_distinct(app, steps):
    skip_unless_postgres()
    path_id, (s1, s2, s3) = steps
    assert staged(app, _move_up(s3), _move_up(s2)) == {"first": "done", "second": "done"}
    # 1-2-3, then 3 up (1-3-2), then 2 up from there (1-2-3).
    assert _order(path_id) == [(s1, 1), (s2, 2), (s3, 3)]


def test_control_without_the_lock_the_order_breaks(app, steps):
    """Proves the test above can fail: without the path lock the second move writes a stale order."""
    skip_unless_postgres()
    path_id, (_s1, s2, s3) = steps
    app.config["KTC_PATH_STEP_LOCK"] = False
    try:
        staged(app, _move_up(s3), _move_up(s2))
    finally:
        app.config["KTC_PATH_STEP_LOCK"] = True
    assert [position for _id, position in _order(path_id)] != [1, 2, 3]
