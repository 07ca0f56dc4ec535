"""Planning writes that two people can make at the same moment happen once.

Two managers (or two tabs) answering the same derived need must not confirm it twice; two plans
accepted at once must not both cover one need (each creating sessions and offering seats for it);
a manager editing a need while a plan covers it must not change the need that was covered. The second
writer has read the same state as the first, so only the conditional write stands between them: the
races are staged on PostgreSQL (SQLite runs one writing request at a time), each with a control run
that switches the guard off and shows the race.
"""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from ktc.errors import Conflict
from ktc.extensions import db
from ktc.organisations.models import Unit
from ktc.planning import operations as ops
from ktc.planning import proposals
from ktc.planning.models import DerivedDecision, Need
from ktc.sessions.models import Session
from ktc.skills.models import Skill
from ktc.stations.models import Station
from tests.factories import commit_keeping_loaded
from tests.planning.test_needs import TODAY, staffed, units  # noqa: F401  (fixtures)
from tests.staging import wait_for_a_lock_wait

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
            except Conflict:
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
    wait_for_a_lock_wait("the second writer never waited for the first", on_failure=may_commit.set)
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


# --- a plan accepted while the need changes -----------------------------------------------------

def test_editing_a_need_that_a_plan_covered_meanwhile_is_refused(make, units):  # noqa: F811
    manager = make.manager(units.a)
    skill = make.skill()
    need = ops.create_need(manager, units.a, skill, date(2027, 4, 1), people=2, today=TODAY)
    commit_keeping_loaded()  # the need as the edit page read it: open
    # Meanwhile a plan is accepted that covers the need.
    with db.engine.begin() as other:
        other.execute(update(Need).where(Need.id == need.id).values(status="covered"))
    with pytest.raises(ops.NeedClosed):
        ops.update_need(manager, need, skill, date(2027, 5, 1), people=9, today=TODAY)
    db.session.rollback()
    with pytest.raises(ops.NeedClosed):
        ops.withdraw_need(manager, need)
    db.session.rollback()
    assert (need.status, need.people, need.month) == ("covered", 2, date(2027, 4, 1))


def test_a_plan_that_read_a_need_before_it_was_edited_does_not_cover_it(make, units):  # noqa: F811
    manager = make.manager(units.a)
    need = ops.create_need(manager, units.a, make.skill(), date(2027, 4, 1), people=2, today=TODAY)
    commit_keeping_loaded()
    # The plan read 2 people; the manager has since asked for 9.
    with db.engine.begin() as other:
        other.execute(update(Need).where(Need.id == need.id).values(people=9, updated_at=need.updated_at
                                                                    + timedelta(seconds=1)))
    session = make.session()
    with pytest.raises(ops.NeedsChanged):
        ops.cover_need(need, session)
    db.session.rollback()
    db.session.expire_all()
    assert (need.status, need.people) == ("open", 9)


@pytest.fixture
def planned(make, units):  # noqa: F811
    """One open need for three people and two stations with an instructor each: two plans that
    each cover the need with a session of their own."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time; the race is staged on PostgreSQL "
                    "(the sequential tests above cover the guard on both databases)")
    skill = make.skill(code="INS")
    centre = make.centre()
    stations = [make.station(centre, skills=[skill], default_capacity=6) for _ in range(2)]
    teachers = [make.user("instructor") for _ in range(2)]
    manager = make.manager(units.a, email="chef@example.org")
    admins = [make.user("admin") for _ in range(2)]
    start = make.future(days=20, hour=9)
    need = ops.create_need(manager, units.a, skill, ops.first_of_month(start.date()), people=3)
    db.session.commit()
    ids = dict(skill=skill.id, stations=[s.id for s in stations], teachers=[t.id for t in teachers],
               admins=[a.id for a in admins], need=need.id, manager=manager.id, unit=units.a.id)

    def accept(index):
        def work():
            from ktc.accounts.models import User

            item = proposals.Proposed(db.session.get(Station, ids["stations"][index]), start,
                                      start + timedelta(hours=2), db.session.get(Skill, ids["skill"]),
                                      db.session.get(User, ids["teachers"][index]), 0)
            sessions, covered = proposals.accept(db.session.get(User, ids["admins"][index]), [item])
            assert list(covered) == [ids["need"]]
        return work

    def edit():
        from ktc.accounts.models import User

        need = db.session.get(Need, ids["need"])
        ops.update_need(db.session.get(User, ids["manager"]), need, need.skill, need.month, people=9)

    return type("Planned", (), {"accept": accept, "edit": edit, "need": need.id})


def _state(need_id):
    db.session.expire_all()
    need = db.session.get(Need, need_id)
    sessions = db.session.execute(select(Session.id)).scalars().all()
    state = (need.status, need.people, need.covered_session_id, sessions)
    db.session.commit()
    return state


def test_two_plans_accepted_at_once_cover_a_need_once(app, planned):
    assert stage(app, planned.accept(0), planned.accept(1)) == {"first": "stored", "second": "refused"}
    status, people, covered_by, sessions = _state(planned.need)
    assert (status, people, [covered_by]) == ("covered", 3, sessions)


def test_control_without_the_need_guard_both_plans_cover_the_need(app, planned):
    app.config["KTC_NEED_GUARD"] = False
    try:
        assert stage(app, planned.accept(0), planned.accept(1)) == {"first": "stored", "second": "stored"}
    finally:
        app.config["KTC_NEED_GUARD"] = True
    status, _people, covered_by, sessions = _state(planned.need)
    assert status == "covered" and len(sessions) == 2 and covered_by == max(sessions)


def test_a_need_edited_while_a_plan_covers_it_keeps_what_was_covered(app, planned):
    assert stage(app, planned.accept(0), planned.edit) == {"first": "stored", "second": "refused"}
    assert _state(planned.need)[:2] == ("covered", 3)


def test_control_without_the_need_guard_the_edit_changes_a_covered_need(app, planned):
    app.config["KTC_NEED_GUARD"] = False
    try:
        assert stage(app, planned.accept(0), planned.edit) == {"first": "stored", "second": "stored"}
    finally:
        app.config["KTC_NEED_GUARD"] = True
    assert _state(planned.need)[:2] == ("covered", 9)


def test_the_same_plan_accepted_twice_at_once_creates_its_sessions_once(app, planned):
    """Two coordinators accept the same proposal: the station's row lock (create_session) makes the
    second wait, then find the slot taken, and nothing of its plan is kept."""
    assert stage(app, planned.accept(0), planned.accept(0)) == {"first": "stored", "second": "refused"}
    status, _people, covered_by, sessions = _state(planned.need)
    assert (status, [covered_by]) == ("covered", sessions)
