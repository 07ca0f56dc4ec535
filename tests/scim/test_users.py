"""SCIM 2.0 as Entra ID's provisioning service uses it: the requests in its order, its JSON shapes."""
import json

import pytest
from sqlalchemy import select

from ktc.accounts.models import User
from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.notices.models import TeamEvent
from ktc.organisations.models import Participant, Unit
from ktc.scim.models import ScimToken
from ktc.scim.operations import issue_token

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@pytest.fixture
def kommun(make):
    org = make.organisation("municipal", name="Jönköpings kommun")
    token = issue_token(org)
    db.session.commit()
    return org, token


class Scim:
    def __init__(self, client, token):
        self.client, self.token = client, token

    def call(self, method, path, body=None):
        response = self.client.open(
            f"/scim/v2{path}", method=method, headers={"Authorization": f"Bearer {self.token}"},
            data=json.dumps(body) if body is not None else None, content_type="application/scim+json",
        )
        return response, (json.loads(response.data) if response.data else None)


@pytest.fixture
def scim(client, kommun):
    return Scim(client, kommun[1])


def entra_user(user_name="anna.andersson@jonkoping.example", department="Hemtjänst Öster"):
    """The body Entra ID POSTs (its default attribute mappings)."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": user_name,
        "active": True,
        "displayName": "Anna Andersson",
        "emails": [{"primary": True, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Anna Andersson", "familyName": "Andersson", "givenName": "Anna"},
        "title": "Undersköterska",
        ENTERPRISE: {"department": department},
        "roles": [],
    }


def test_entra_creates_finds_updates_and_reads_a_person(scim, kommun):
    response, body = scim.call("GET", '/Users?filter=userName+eq+"anna.andersson@jonkoping.example"')
    assert response.status_code == 200 and body["totalResults"] == 0 and body["Resources"] == []

    response, created = scim.call("POST", "/Users", entra_user())
    assert response.status_code == 201, created
    assert response.headers["Content-Type"].startswith("application/scim+json")
    assert response.headers["Location"].endswith(f"/scim/v2/Users/{created['id']}")
    assert created["userName"] == "anna.andersson@jonkoping.example" and created["active"] is True
    assert created["externalId"] == "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"
    assert created[ENTERPRISE] == {"department": "Hemtjänst Öster", "organization": "Jönköpings kommun"}
    person = db.session.get(Participant, int(created["id"]))
    assert person.name == "Anna Andersson" and person.unit.organisation_id == kommun[0].id

    response, found = scim.call("GET", '/Users?filter=userName eq "Anna.Andersson@jonkoping.example"')
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == created["id"]

    response, patched = scim.call("PATCH", f"/Users/{created['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "displayName", "value": "Anna Lind"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Hemtjänst Väster"},
        {"op": "Replace", "path": "name.familyName", "value": "Lind"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "anna.lind@jonkoping.example"},
    ]})
    assert response.status_code == 200, patched
    assert patched["displayName"] == "Anna Lind" and patched[ENTERPRISE]["department"] == "Hemtjänst Väster"
    db.session.expire_all()
    assert db.session.get(Participant, int(created["id"])).unit.name == "Hemtjänst Väster"

    response, replaced = scim.call("PUT", f"/Users/{created['id']}",
                                   entra_user("anna.lind@jonkoping.example", "Hemtjänst Öster"))
    assert response.status_code == 200 and replaced["userName"] == "anna.lind@jonkoping.example"

    response, read = scim.call("GET", f"/Users/{created['id']}")
    assert response.status_code == 200 and read[ENTERPRISE]["department"] == "Hemtjänst Öster"


def test_a_staff_list_person_is_found_by_filter(scim, kommun, make):
    """People imported from a CSV before provisioning started are matched, not duplicated."""
    unit = make.unit(kommun[0], name="LSS Norr")
    make.participant(unit, name="Bo Ek", email="bo.ek@jonkoping.example")
    db.session.commit()

    response, found = scim.call("GET", '/Users?filter=userName eq "bo.ek@jonkoping.example"')

    assert found["totalResults"] == 1 and found["Resources"][0][ENTERPRISE]["department"] == "LSS Norr"


@pytest.fixture
def booked_anna(scim, kommun, make):
    """Anna, provisioned, with a login, a seat in a full future session (Bo waiting) and a past one."""
    _, created = scim.call("POST", "/Users", entra_user())
    anna = db.session.get(Participant, int(created["id"]))
    user = make.participant_user(anna)
    manager = make.manager(anna.unit, email="chef@jonkoping.example")
    bo = make.participant(anna.unit, name="Bo Ek")
    full = make.session(capacity=1)
    seat = make.booking(full, anna)
    waiting = make.booking(full, bo, status="waitlisted")
    past = make.session(start=make.future(-10))
    attended = make.booking(past, anna, status="attended")
    db.session.commit()
    return created["id"], user, manager, seat, waiting, attended


@pytest.mark.parametrize("value", [False, "False"], ids=["boolean", "Entra's string"])
def test_deactivation_cancels_future_bookings_and_blocks_sign_in(scim, booked_anna, value, client):
    scim_id, user, manager, seat, waiting, attended = booked_anna

    response, body = scim.call("PATCH", f"/Users/{scim_id}", {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": value}]})

    assert response.status_code == 200 and body["active"] is False
    db.session.expire_all()
    assert db.session.get(Booking, seat.id).status == "cancelled"
    assert db.session.get(Booking, waiting.id).status == "confirmed"  # the next in line got the seat
    assert db.session.get(Booking, attended.id).status == "attended"  # history kept
    assert db.session.get(User, user.id).active is False
    kinds = set(db.session.execute(select(TeamEvent.kind).where(TeamEvent.user_id == manager.id)).scalars())
    assert "deactivated" in kinds


def test_delete_deactivates_and_then_answers_404(scim, booked_anna):
    scim_id, user, manager, seat, waiting, attended = booked_anna

    response, _ = scim.call("DELETE", f"/Users/{scim_id}")

    assert response.status_code == 204
    response, body = scim.call("GET", f"/Users/{scim_id}")
    assert response.status_code == 404 and body["schemas"] == [ERROR] and body["status"] == "404"
    db.session.expire_all()
    assert db.session.get(Participant, int(scim_id)).active is False
    assert db.session.get(Booking, seat.id).status == "cancelled"
    assert db.session.get(Booking, attended.id).status == "attended"


def test_bad_input_gets_rfc_7644_errors(scim, kommun):
    _, created = scim.call("POST", "/Users", entra_user())

    response, body = scim.call("POST", "/Users", entra_user())
    assert response.status_code == 409 and body["scimType"] == "uniqueness" and body["schemas"] == [ERROR]

    response, body = scim.call("PATCH", f"/Users/{created['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": "perhaps"}]})
    assert response.status_code == 400 and body["scimType"] == "invalidValue" and body["status"] == "400"

    response, body = scim.call("POST", "/Users", {**entra_user("x@jonkoping.example"), ENTERPRISE: {}})
    assert response.status_code == 400 and body["scimType"] == "invalidValue" and "department" in body["detail"]

    response, body = scim.call("GET", "/Users/999999")
    assert response.status_code == 404 and body["schemas"] == [ERROR]

    response, body = scim.call("GET", '/Users?filter=displayName co "Anna"')
    assert response.status_code == 400 and body["scimType"] == "invalidFilter"

    assert db.session.execute(select(Participant)).scalars().one().active is True


def test_without_a_valid_token_nothing_is_answered(client, kommun):
    response = client.get("/scim/v2/Users")
    assert response.status_code == 401 and json.loads(response.data)["status"] == "401"
    assert client.get("/scim/v2/Users", headers={"Authorization": "Bearer scim_wrong"}).status_code == 401


def test_one_organisations_token_cannot_reach_anothers_people(scim, make, client):
    region = make.organisation("regional", name="Region Jönköpings län")
    other = Scim(client, issue_token(region))
    db.session.commit()
    _, created = scim.call("POST", "/Users", entra_user())

    assert other.call("GET", f"/Users/{created['id']}")[0].status_code == 404
    assert other.call("GET", '/Users?filter=userName eq "anna.andersson@jonkoping.example"')[1]["totalResults"] == 0
    response, _ = other.call("PATCH", f"/Users/{created['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": False}]})
    assert response.status_code == 404
    assert other.call("DELETE", f"/Users/{created['id']}")[0].status_code == 404
    db.session.expire_all()
    assert db.session.get(Participant, int(created["id"])).active is True
    assert db.session.execute(select(Unit.name).where(Unit.organisation_id == region.id)).first() is None


def test_tokens_are_stored_hashed(kommun):
    assert kommun[1] not in {row.token_hash for row in db.session.execute(select(ScimToken)).scalars()}


def test_discovery_documents(scim):
    assert scim.call("GET", "/ServiceProviderConfig")[1]["patch"]["supported"] is True
    schemas = scim.call("GET", "/Schemas")[1]
    assert {s["id"] for s in schemas["Resources"]} == {"urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE}
    assert scim.call("GET", "/ResourceTypes")[1]["Resources"][0]["endpoint"] == "/Users"


def test_the_command_prints_a_token_that_works(runner, make, client):
    org = make.organisation("municipal", name="Habo kommun")
    db.session.commit()

    result = runner.invoke(args=["ktc", "scim-token", str(org.id)])

    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert client.get("/scim/v2/Users", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert runner.invoke(args=["ktc", "scim-token", "999999"]).exit_code != 0


def test_the_bearer_token_is_checked_in_one_query(client, kommun):
    """Every SCIM request looks its token up: by its SHA-256, organisation included, one SELECT."""
    from contextlib import ExitStack

    from sqlalchemy import event

    seen = []

    def count(_conn, _cursor, statement, *_args):
        # (Not the check whether the read-only request wrote, with which it ends on PostgreSQL.)
        if statement.lstrip().upper().startswith("SELECT") and "txid_current_if_assigned" not in statement:
            seen.append(statement)

    db.session.commit()
    with ExitStack() as stack:
        event.listen(db.engine, "before_cursor_execute", count)
        stack.callback(event.remove, db.engine, "before_cursor_execute", count)
        response = client.get("/scim/v2/ServiceProviderConfig", headers={"Authorization": f"Bearer {kommun[1]}"})

    assert response.status_code == 200
    assert len(seen) == 1 and "scim_tokens" in seen[0], seen


def test_a_rule_of_ktc_saying_no_is_a_scim_error_too(scim, booked_anna, monkeypatch):
    """A DomainError from the operations SCIM calls (cancel_booking's Conflict, say) answers with
    an RFC 7644 error body, not the app's HTML error page."""
    from ktc.errors import Conflict
    from ktc.scim import operations as ops

    def refuse(participant, now=None):
        raise Conflict()

    monkeypatch.setattr(ops, "deactivate", refuse)
    scim_id = booked_anna[0]

    response, body = scim.call("DELETE", f"/Users/{scim_id}")

    assert response.status_code == 409 and response.mimetype == "application/scim+json"
    assert body["schemas"] == [ERROR] and body["status"] == "409"
    assert db.session.get(Participant, int(scim_id)).active is True  # nothing of it was kept


def test_listing_users_takes_the_same_statements_for_few_and_many(scim, kommun, make):
    """GET /Users reads the page's people with what SCIM knows of them, not one query per person."""
    from sqlalchemy import event

    def listing():
        seen = []

        def count(*_args):
            seen.append(1)

        db.session.commit()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response, body = scim.call("GET", "/Users")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return body["totalResults"], len(seen)

    for i in range(2):
        scim.call("POST", "/Users", entra_user(f"person{i}@jonkoping.example", department=f"Enhet {i}"))
    few_total, few = listing()
    for i in range(2, 12):
        scim.call("POST", "/Users", entra_user(f"person{i}@jonkoping.example", department=f"Enhet {i % 4}"))
    make.participant(make.unit(kommun[0], name="Enhet 9"), email="not.provisioned@jonkoping.example")
    many_total, many = listing()

    assert (few_total, many_total) == (2, 13)
    assert many == few


def test_paging_past_any_end_is_an_empty_page(scim):
    """startIndex and count beyond what a database offset holds: an empty page, not a 500."""
    scim.call("POST", "/Users", entra_user())

    response, body = scim.call("GET", "/Users?startIndex=99999999999999999999&count=99999999999999999999")

    assert response.status_code == 200 and body["totalResults"] == 1 and body["Resources"] == []
    response, body = scim.call("GET", "/Users?count=99999999999999999999")
    assert response.status_code == 200 and len(body["Resources"]) == 1
