"""The policy's answers that the fifth mutation run (docs/MUTATION.md) found without a test: a
manager's units are remembered for one request only, and forgotten when the request changes them."""
from ktc import policy
from ktc.extensions import db
from ktc.organisations.operations import update_unit


def test_a_request_that_changes_a_managers_units_is_answered_with_the_new_units(app, make):
    """Mutants: the request's remembered answers kept under another name than the one
    forget_managed_units() forgets (an admin adding a unit saw the manager refused in the same request)."""
    unit = make.unit(name="Hemsjukvården Gislaved")
    other = make.unit(name="Korttidsboendet Anderstorp")
    manager = make.manager(unit, name="Maja Chef")
    db.session.commit()
    with app.test_request_context("/"):
        assert policy.managed_unit_ids(manager) == {unit.id}
        assert not policy.can_manage_unit(manager, other)
        update_unit(other, other.name, manager_ids=[manager.id])
        assert policy.managed_unit_ids(manager) == {unit.id, other.id}
        assert policy.can_manage_unit(manager, other)


def test_outside_a_request_nothing_is_remembered(app, make):
    """Mutant: the answers remembered outside a request too (a scheduler job or a command runs in one
    application context for its whole run: a unit given to a manager meanwhile went unseen)."""
    unit = make.unit(name="Hemsjukvården Gislaved")
    other = make.unit(name="Korttidsboendet Anderstorp")
    manager = make.manager(unit, name="Maja Chef")
    db.session.commit()
    assert policy.managed_unit_ids(manager) == {unit.id}
    other.managers.append(manager)
    db.session.flush()
    assert policy.managed_unit_ids(manager) == {unit.id, other.id}


def test_nobody_is_a_network_members_contact(make):
    """Mutant: `user or user.is_authenticated` in is_contact_of (nobody, or a visitor not logged in,
    taken for a contact: an error instead of "no")."""
    from flask_login import AnonymousUserMixin

    from ktc.meetings.models import MemberContact, NetworkMember

    contact = make.user("network", name="Kontakt Värnamo kommun")
    member = NetworkMember(name="Värnamo kommun", status="member")
    member.contacts.append(MemberContact(user=contact))
    db.session.add(member)
    db.session.flush()
    assert policy.is_contact_of(contact, member)
    assert not policy.is_contact_of(make.user("network", name="Kontakt någon annan"), member)
    assert not policy.is_contact_of(None, member)
    assert not policy.is_contact_of(AnonymousUserMixin(), member)
    assert not policy.can_leave_network(AnonymousUserMixin(), member)


def test_a_manager_marks_any_step_of_their_people_a_participant_only_their_own_modules(make):
    """Mutants of can_complete_path_step: the manager's check asked for nobody or for no person, or
    answering "no" (a manager could not mark a practical step of their own staff done)."""
    from ktc.paths.models import PathAssignment, PathStep

    unit = make.unit(name="Hemsjukvården Gislaved")
    person = make.participant(unit, name="Anna Andersson")
    manager = make.manager(unit, name="Maja Chef")
    stranger = make.manager(make.unit(name="Korttidsboendet Anderstorp"), name="Olle Annan Chef")
    own = make.user("participant", name="Anna Andersson", participant=person)
    db.session.flush()
    assignment = PathAssignment(participant=person, participant_id=person.id)
    practical, module = PathStep(kind="skill"), PathStep(kind="module")
    assert policy.can_complete_path_step(manager, assignment, practical)
    assert policy.can_complete_path_step(manager, assignment, module)
    assert not policy.can_complete_path_step(stranger, assignment, practical)
    assert policy.can_complete_path_step(own, assignment, module)
    assert not policy.can_complete_path_step(own, assignment, practical)


def test_a_user_loaded_outside_a_request_leaves_no_units_behind(app, make):
    """Mutant: `user is not None or has_request_context()` in note_managed_units — a user loaded by
    token outside a request (a command, a job) had their units kept in the application context, and
    a request served later in it answered with those units, not the ones given meanwhile."""
    from ktc.accounts.operations import issue_api_token, load_user_from_token

    unit = make.unit(name="Hemsjukvården Gislaved")
    other = make.unit(name="Korttidsboendet Anderstorp")
    manager = make.manager(unit, name="Maja Chef")
    token = issue_api_token(manager, "Jobb")
    db.session.commit()
    assert load_user_from_token(token) is manager
    other.managers.append(manager)
    db.session.flush()
    with app.test_request_context("/"):
        assert policy.managed_unit_ids(manager) == {unit.id, other.id}
