"""The policy module's answers at its edges: nobody logged in, and a manager of no unit (issue 18).

Views put @login_required in front of most questions, so these edges were only reached through
the policy itself; mutation testing showed that a policy answering "yes" to an anonymous user,
or letting a manager without units see the staff of unit 1, passed every other test.
"""
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from ktc import policy
from ktc.extensions import db
from ktc.organisations.models import Participant


def _visible(user):
    return db.session.execute(select(Participant.id).where(policy.participants_visible_to(user))).scalars().all()


def test_nobody_logged_in_may_do_anything(make):
    unit = make.unit()
    person = make.participant(unit)
    session = make.session(make.plain_station())
    booking = make.booking(session, person)
    anonymous = AnonymousUserMixin()
    answers = {
        "can_view_participant": policy.can_view_participant(anonymous, person),
        "can_view_booking": policy.can_view_booking(anonymous, booking),
        "can_cancel_booking": policy.can_cancel_booking(anonymous, booking),
        "can_download_session_ics": policy.can_download_session_ics(anonymous, session),
        "can_write_session_report": policy.can_write_session_report(anonymous, session),
        "can_record_session": policy.can_record_session(anonymous, session),
        "can_manage_participant": policy.can_manage_participant(anonymous, person),
        "can_book": policy.can_book(anonymous),
    }
    assert answers == {name: False for name in answers}
    assert _visible(anonymous) == []
    # No user object at all (a job or a command acting on nobody's behalf) is refused as well.
    assert not policy.can_write_session_report(None, session)
    assert not policy.is_admin(None) and not policy.can_book(None)
    assert _visible(None) == []


def test_no_participant_is_visible_as_nobody(make):
    admin = make.user("admin")
    assert not policy.can_view_participant(admin, None)


def test_a_manager_of_no_unit_sees_no_staff(make):
    # Unit 1 exists and has staff: an empty set of units must not be read as "unit 1" (or any unit).
    first = make.unit(id=1, name="Enhet ett")
    make.participant(first, name="Ingrid Ett")
    manager = make.manager()
    assert policy.managed_unit_ids(manager) == set()
    assert _visible(manager) == []


def test_staff_without_a_staff_record_see_no_staff(make):
    make.participant(make.unit())
    for role in ("instructor", "network"):
        assert _visible(make.user(role)) == []
