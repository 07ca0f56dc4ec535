"""Planning writes that two people can make at the same moment happen once.

Two managers (or two tabs) answering the same derived need must not confirm it twice. The second
writer has read the same state as the first, so only the conditional write stands between them: the
races are staged on PostgreSQL (SQLite runs one writing request at a time), each with a control run
that switches the guard off and shows the race.
"""
import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text

from ktc.extensions import db
from ktc.organisations.models import Unit
from ktc.planning import operations as ops
from ktc.planning.models import DerivedDecision, Need
from tests.planning.test_needs import TODAY, staffed, units  # noqa: F401  (fixtures)

MARCH = date(2027, 3, 1)


def _needs():
    db.session.expire_all()
    count = db.session.execute(select(func.count()).select_from(Need)).scalar_one()
    db.session.commit()
    return count


def test_confirming_the_same_derived_need_twice_makes_one_need(make, units, staffed):  # noqa: F811
    manager = make.manager(units.a)
    march = next(d for d in ops.pending_derived([units.a.id], today=TODAY) if d.month == MARCH)
    ops.decide_derived(manager, units.a, staffed.kat.id, MARCH, march.fingerprint, confirm=True, today=TODAY)
    db.session.commit()
    # The same page, still open in another tab, posts the same answer again.
    with pytest.raises(ops.DerivedNeedChanged):
        ops.decide_derived(manager, units.a, staffed.kat.id, MARCH, march.fingerprint, confirm=True, today=TODAY)
    db.session.rollback()
    assert _needs() == 1


def stage(app, first, second):
    """Run `first` up to its flush and hold it; start `second`, which must wait for `first`'s row
    lock; then let `first` commit. Returns {"first": outcome, "second": outcome}."""
    written, may_commit = threading.Event(), threading.Event()
    outcomes = {}

    def run(name, work, hold):
        with app.app_context():
            try:
                work()
                db.session.flush()
                if hold:
                    written.set()
                    may_commit.wait(timeout=30)
                db.session.commit()
                outcomes[name] = "stored"
            except ops.DerivedNeedChanged:
                db.session.rollback()
                outcomes[name] = "refused"
            except Exception as exc:  # reported by the caller's assertions
                db.session.rollback()
                outcomes[name] = repr(exc)
            finally:
                written.set()
                db.session.remove()

    db.session.commit()
    threads = [threading.Thread(target=run, args=("first", first, True))]
    threads[0].start()
    assert written.wait(timeout=30)
    threads.append(threading.Thread(target=run, args=("second", second, False)))
    threads[1].start()
    with db.engine.connect() as watcher:
        for _ in range(100_000):
            if watcher.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar_one():
                break
            watcher.rollback()
        else:
            may_commit.set()
            raise AssertionError("the second writer never waited for the first")
    may_commit.set()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    return outcomes


@pytest.fixture
def came_back(make, units, staffed):  # noqa: F811
    """The March need was dismissed, then someone new lacks the skill: it is pending again."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time; the race is staged on PostgreSQL "
                    "(the sequential test above covers the guard on both databases)")
    managers = [make.manager(units.a) for _ in range(2)]
    march = next(d for d in ops.pending_derived([units.a.id], today=TODAY) if d.month == MARCH)
    ops.decide_derived(managers[0], units.a, staffed.kat.id, MARCH, march.fingerprint, confirm=False, today=TODAY)
    make.participant(units.a, name="Nils Ny", profession=staffed.nurse)
    again = next(d for d in ops.pending_derived([units.a.id], today=TODAY) if d.month == MARCH)
    db.session.commit()
    ids = (units.a.id, staffed.kat.id, [m.id for m in managers])

    def confirm(index):
        def work():
            from ktc.accounts.models import User

            unit_id, skill_id, manager_ids = ids
            ops.decide_derived(db.session.get(User, manager_ids[index]), db.session.get(Unit, unit_id), skill_id,
                               MARCH, again.fingerprint, confirm=True, today=TODAY)
        return work

    return confirm


def test_two_managers_confirming_a_need_that_came_back_make_one_need(app, came_back):
    assert stage(app, came_back(0), came_back(1)) == {"first": "stored", "second": "refused"}
    assert _needs() == 1
    db.session.expire_all()
    assert db.session.execute(select(DerivedDecision.decision)).scalar_one() == "confirmed"


def test_control_without_the_decision_guard_the_need_is_confirmed_twice(app, came_back):
    app.config["KTC_DECISION_GUARD"] = False
    try:
        assert stage(app, came_back(0), came_back(1)) == {"first": "stored", "second": "stored"}
    finally:
        app.config["KTC_DECISION_GUARD"] = True
    assert _needs() == 2
