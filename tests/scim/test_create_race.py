"""Two SCIM creates at once (Entra ID retries a POST it timed out on, and runs provisioning cycles
in parallel): the same userName gives one staff record and a 409 uniqueness, never a 500; two
new people of one new department give one unit and two staff records.

Both creates pass the check for an existing userName (or unit) before either writes, so only the
unique constraints stand between them and a duplicate. The race is staged on PostgreSQL: the first
create has written but not committed when the second one writes and waits for its lock.
"""
import threading

import pytest
from sqlalchemy import func, select

from ktc.extensions import db
from ktc.organisations.models import Organisation, Participant, Unit
from ktc.scim import operations as ops
from tests.scim.test_users import entra_user
from tests.staging import wait_for_a_lock_wait


@pytest.fixture
def organisation_id(make):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time, so the race is staged on PostgreSQL "
                    "(tests/scim/test_users.py covers the 409 on both databases)")
    org = make.organisation("municipal", name="Jönköpings kommun")
    db.session.commit()
    return org.id


def _race(app, organisation_id, bodies):
    """Creates bodies[0] and bodies[1] at once; {"first"/"second": participant id or SCIM status}."""
    db.session.commit()
    first_written = threading.Event()
    may_commit = threading.Event()
    outcomes = {}

    def create(name, body, hold):
        with app.app_context():
            try:
                scope = ops.Scope(db.session.get(Organisation, organisation_id))
                if not hold:
                    first_written.wait(timeout=30)
                participant = ops.create_user(scope, body)
                if hold:
                    first_written.set()
                    may_commit.wait(timeout=30)
                db.session.commit()
                outcomes[name] = participant.id
            except ops.ScimError as exc:
                db.session.rollback()
                outcomes[name] = (exc.status, exc.scim_type, exc.detail)
            except Exception as exc:  # a 500: reported by the assertions of the test
                db.session.rollback()
                outcomes[name] = type(exc).__name__
            finally:
                first_written.set()
                db.session.remove()

    first = threading.Thread(target=create, args=("first", bodies[0], True))
    second = threading.Thread(target=create, args=("second", bodies[1], False))
    first.start()
    second.start()
    assert first_written.wait(timeout=30)
    wait_for_a_lock_wait("the second create never waited for the first")
    may_commit.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert not first.is_alive() and not second.is_alive()
    db.session.expire_all()
    return outcomes


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_same_user_name_twice_at_once_gives_one_record_and_a_409(app, organisation_id, make):
    make.unit(db.session.get(Organisation, organisation_id), name="Hemtjänst Öster")

    outcomes = _race(app, organisation_id, [entra_user(), entra_user()])

    assert isinstance(outcomes["first"], int), outcomes
    assert outcomes["second"][:2] == (409, "uniqueness"), outcomes
    assert _count(Participant) == 1


def test_two_new_people_of_one_new_department_at_once_are_both_created(app, organisation_id):
    outcomes = _race(app, organisation_id, [entra_user("anna@jonkoping.example"),
                                            entra_user("bodil@jonkoping.example")])

    assert isinstance(outcomes["first"], int) and isinstance(outcomes["second"], int), outcomes
    units = db.session.execute(select(Unit.name)).scalars().all()
    assert units == ["Hemtjänst Öster"] and _count(Participant) == 2
