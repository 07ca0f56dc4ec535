"""Fixtures for the API tests: a small world of units, people and sessions, and token-carrying calls."""
from datetime import time

import pytest

from ktc.accounts.operations import issue_api_token, revoke_api_token
from ktc.extensions import db
from ktc.meetings import operations as meetings
from ktc.meetings.models import MemberContact, NetworkMember


class Api:
    """Calls the API through the test client with a Bearer token (or none)."""

    def __init__(self, client, token=None):
        self.client = client
        self.token = token

    def as_(self, token):
        return Api(self.client, token)

    def __call__(self, method, url, json=None, data=None, headers=None, **kw):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        # End the test's own transaction first: on SQLite it would hold the write lock the request needs.
        db.session.commit()
        response = self.client.open(url, method=method, json=json, data=data, headers=headers, **kw)
        db.session.expire_all()
        return response

    def get(self, url, **kw):
        return self("GET", url, **kw)

    def post(self, url, json=None, **kw):
        return self("POST", url, json=json, **kw)

    def patch(self, url, json=None, **kw):
        return self("PATCH", url, json=json, **kw)

    def delete(self, url, **kw):
        return self("DELETE", url, **kw)


@pytest.fixture
def token(db):
    """A fresh API token for a user (committed, so requests can see it)."""

    def _token(user):
        value = issue_api_token(user, "test")
        db.session.commit()
        return value

    return _token


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def world(make, token):
    """Unit A and unit B (municipal, different managers), a regional unit, staff, and two sessions."""
    kommun = make.organisation("municipal", name="Jönköpings kommun")
    region = make.organisation("regional", name="Region Jönköpings län")
    unit_a = make.unit(kommun, name="Hemtjänst Öster")
    unit_b = make.unit(kommun, name="Hemtjänst Väster")
    unit_r = make.unit(region, name="Geriatriken Ryhov")
    staff_a = [make.participant(unit_a, name=f"Anna Öster {i}") for i in range(4)]
    staff_b = [make.participant(unit_b, name=f"Bertil Väster {i}") for i in range(2)]
    staff_r = [make.participant(unit_r, name=f"Rut Ryhov {i}") for i in range(3)]
    admin = make.user("admin")
    manager_a = make.manager(unit_a)
    manager_b = make.manager(unit_b)
    instructor = make.user("instructor")
    participant = make.participant_user(staff_a[0])
    network = make.user("network")
    centre = make.centre(opens=time(7, 0), closes=time(20, 0), name="KTC Ryhov")
    station = make.station(centre, name="Kateterstation")
    session = make.session(station, start=make.future(10), capacity=6, instructors=[instructor])
    other_session = make.session(station, start=make.future(12), capacity=6)
    booking_a = make.booking(session, staff_a[0])
    booking_b = make.booking(session, staff_b[0])
    # A member organisation whose contact (the network user) is invited to a network meeting with an
    # action, so the network API's writes meet objects, not only 404s.
    member = NetworkMember(name="Vårdförbundet", status="member", contacts=[MemberContact(user=network)])
    db.session.add(member)
    meeting = meetings.plan_meeting(admin, title="Nätverksträff", start_at=make.future(20),
                                    end_at=make.future(20, hour=11))
    action = meetings.add_action(meeting, text="Ny docka", owner_kind="station", station=station)
    db.session.commit()
    tokens = {
        "admin": token(admin),
        "manager_a": token(manager_a),
        "manager_b": token(manager_b),
        "instructor": token(instructor),
        "participant": token(participant),
        "network": token(network),
    }
    revoked_user = make.user("admin")
    revoked = token(revoked_user)
    revoke_api_token(revoked_user, revoked_user_token_id(revoked_user))
    db.session.commit()
    tokens["revoked"] = revoked
    tokens["none"] = None
    return type("World", (), locals())


def revoked_user_token_id(user):
    from sqlalchemy import select

    from ktc.accounts.models import ApiToken

    return db.session.execute(select(ApiToken.id).where(ApiToken.user_id == user.id)).scalar_one()
