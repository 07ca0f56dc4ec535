"""Accounts, the rules the fourth mutation run left without a test (docs/MUTATION.md): the staff
record a login is linked to, a user's default name, the admin's user list, the throttle's audit
entry and the address it counts."""
import pytest
from sqlalchemy import select

from ktc.accounts.operations import (
    InvalidCredentials,
    TooManyAttempts,
    authenticate,
    client_address,
    create_user,
    deactivate_user,
    list_users,
    update_user,
)
from ktc.audit.models import AuditEntry
from ktc.errors import Conflict
from ktc.extensions import db


def test_a_staff_record_has_one_login_and_its_own_keeps_it(make):
    person, other_person = make.participant(), make.participant()
    linked = create_user("anna.ahl@example.org", "participant", participant=person)
    other = create_user("bo.berg@example.org", "participant", participant=other_person)

    with pytest.raises(Conflict) as taken:
        create_user("cecilia.ceder@example.org", "participant", participant=person)
    assert taken.value.field == "participant_id"
    assert str(taken.value) == "Den personen i personallistan har redan en inloggning."  # Swedish by default

    with pytest.raises(Conflict) as moved:
        update_user(None, other, other.email, other.name, "participant", participant=person)
    assert moved.value.field == "participant_id"

    # Saving a user with the staff record it already has is no conflict.
    assert update_user(None, linked, linked.email, "Anna Ahl", "participant", participant=person) is linked
    assert linked.participant_id == person.id


def test_a_user_without_a_name_is_named_by_the_address(make):
    assert create_user("anna.ahl@example.org", "manager").name == "anna.ahl"
    assert create_user("bo@example.org", "manager", name="  ").name == "bo"


def test_the_user_list_is_by_name_and_filtered_by_status(make):
    for name in ("Cecilia Ceder", "Anna Ahl", "Bo Berg"):
        create_user(f"{name.split()[0].lower()}@example.org", "manager", name=name)
    deactivate_user(create_user("dora@example.org", "manager", name="Dora Dahl"))

    assert [u.name for u in list_users(role="manager")] == ["Anna Ahl", "Bo Berg", "Cecilia Ceder", "Dora Dahl"]
    assert [u.name for u in list_users(role="manager", active=True)] == ["Anna Ahl", "Bo Berg", "Cecilia Ceder"]
    assert [u.name for u in list_users(role="manager", active=False)] == ["Dora Dahl"]


def test_an_address_that_is_not_one_is_kept_to_the_column_length():
    assert client_address("x" * 100) == "x" * 64


def test_a_throttled_login_is_audited_as_a_login(app, make):
    make.user("manager", email="target@example.org", password="correct horse battery")
    for _ in range(app.config["KTC_LOGIN_MAX_FAILURES"]):
        with pytest.raises(InvalidCredentials):
            authenticate("target@example.org", "guess", "198.51.100.66")
    with pytest.raises(TooManyAttempts):
        authenticate("target@example.org", "guess", "198.51.100.66")

    (entry,) = db.session.execute(select(AuditEntry).where(AuditEntry.action == "login.throttled")).scalars()
    assert entry.object_type == "login"
