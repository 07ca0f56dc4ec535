"""The meetings API: network users and admins read members, meetings, minutes and actions; nobody else."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ktc.accounts.operations import issue_api_token
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.meetings import operations as ops
from ktc.meetings.models import Meeting, MeetingAction, MeetingInvitation, MemberContact, NetworkMember
from tests.meetings.test_members_and_meetings import event_of


@pytest.fixture
def planned(make, network):
    start = make.future(20, hour=13)
    meeting = ops.plan_meeting(network["coordinator"], title="Träff", start_at=start, end_at=start + timedelta(hours=2))
    ops.add_action(meeting, text="Ny docka", owner_kind="person", owner_name="Cecilia")
    db.session.commit()
    return meeting


def get(client, user, url):
    return call(client, user, "get", url)


def call(client, user, method, url, json=None, language="en"):
    token = issue_api_token(user)
    db.session.commit()
    return getattr(client, method)(url, json=json, headers={"Authorization": f"Bearer {token}",
                                                            "Accept-Language": language})


def outbox(kind):
    return db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)).scalars().all()


@pytest.mark.parametrize("url", ["/api/v1/network/members", "/api/v1/network/meetings", "/api/v1/network/meetings/{id}",
                                 "/api/v1/network/actions"])
def test_only_network_users_and_admins_read_the_meetings(client, make, network, planned, url):
    url = url.format(id=planned.id)
    assert get(client, network["contacts"][0], url).status_code == 200
    assert get(client, make.user("admin"), url).status_code == 200
    for role in ("manager", "instructor", "participant"):
        assert get(client, make.user(role), url).status_code == 403


def test_a_meeting_shows_its_invitations_and_actions(client, network, planned):
    body = get(client, network["contacts"][0], f"/api/v1/network/meetings/{planned.id}").get_json()
    assert {i["answer"] for i in body["invitations"]} == {"needs-action"}
    assert body["actions"][0]["owner"] == "Cecilia" and body["actions"][0]["done_at"] is None
    actions = get(client, network["contacts"][0], "/api/v1/network/actions").get_json()["items"]
    assert [a["text"] for a in actions] == ["Ny docka"]


def _write_requests(meeting, action, pending):
    m, a = meeting.id, action.id
    return [("post", "/api/v1/network/meetings", {"title": "Ny träff", "start": "2030-03-01T13:00:00+01:00",
                                                  "end": "2030-03-01T15:00:00+01:00"}),
            ("patch", f"/api/v1/network/meetings/{m}", {"title": "Flyttad"}),
            ("delete", f"/api/v1/network/meetings/{m}", None),
            ("put", f"/api/v1/network/meetings/{m}/minutes", {"minutes": "Beslut"}),
            ("post", f"/api/v1/network/meetings/{m}/actions", {"text": "Ring", "owner_kind": "person",
                                                               "owner_name": "Anna"}),
            ("post", f"/api/v1/network/actions/{a}/close", {"note": "Klart"}),
            ("post", f"/api/v1/network/members/{pending.id}/approve", {}),
            ("put", f"/api/v1/network/meetings/{m}/attendance", {"present": []}),
            ("post", f"/api/v1/network/members/{pending.id}/contacts", {"email": "ny@example.org"}),
            ("delete", f"/api/v1/network/members/{pending.id}", None),
            ("put", f"/api/v1/network/users/{pending.contacts[0].user_id}/coordinator", {"coordinator": True})]


def test_only_the_coordinator_writes_meetings_minutes_and_actions(client, make, network, planned):
    action = db.session.scalars(select(MeetingAction)).one()
    others = [network["contacts"][0], make.user("manager"), make.user("instructor"), make.user("participant")]
    for method, url, body in _write_requests(planned, action, network["pending"]):
        for user in others:
            response = call(client, user, method, url, body)
            assert response.status_code == 403, (user.role, method, url)
            assert response.get_json()["error"]["code"] == "forbidden"
    assert db.session.get(Meeting, planned.id).title == "Träff"
    assert db.session.get(MeetingAction, action.id).done_at is None
    assert db.session.scalars(select(Meeting)).all() == [planned]
    assert network["pending"].status == "pending" and len(network["pending"].contacts) == 1
    assert {i.attended for i in planned.invitations} == {None}
    assert network["pending_user"].network_coordinator is False


def test_unknown_meetings_and_actions_are_404_for_the_coordinator(client, network):
    coordinator = network["coordinator"]
    for method, url, body in [("patch", "/api/v1/network/meetings/999", {"title": "X"}),
                              ("delete", "/api/v1/network/meetings/999", None),
                              ("put", "/api/v1/network/meetings/999/minutes", {"minutes": "X"}),
                              ("post", "/api/v1/network/meetings/999/actions", {"text": "X", "owner_kind": "person",
                                                                                "owner_name": "A"}),
                              ("post", "/api/v1/network/actions/999/close", {}),
                              ("post", "/api/v1/network/meetings/999/answer", {"answer": "accepted"}),
                              ("post", "/api/v1/network/members/999/approve", {}),
                              ("put", "/api/v1/network/meetings/999/attendance", {"present": []}),
                              ("post", "/api/v1/network/members/999/contacts", {"email": "x@example.org"}),
                              ("delete", "/api/v1/network/members/999", None)]:
        assert call(client, coordinator, method, url, body).status_code == 404, url
        past = url.replace("999", str(2**31))
        assert call(client, coordinator, method, past, body).status_code == 404, past


def test_the_coordinator_plans_a_meeting_and_every_member_contact_is_invited(client, network):
    response = call(client, network["coordinator"], "post", "/api/v1/network/meetings",
                    {"title": " Vårträff ", "start": "2030-03-01T13:00:00+01:00", "end": "2030-03-01T15:00:00+01:00",
                     "place": "KTC Jönköping", "agenda": "1. Öppning"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["title"] == "Vårträff" and body["start"] == "2030-03-01T12:00:00+00:00"
    assert body["agenda"] == "1. Öppning" and body["status"] == "planned"
    assert sorted(i["name"] for i in body["invitations"]) == sorted(u.name for u in network["contacts"])
    assert sorted(m.recipient for m in outbox("meeting_invited")) == sorted(u.email for u in network["contacts"])


def test_planning_refuses_an_end_before_the_start_in_the_callers_language(client, network):
    response = call(client, network["coordinator"], "post", "/api/v1/network/meetings",
                    {"title": "Träff", "start": "2030-03-01T13:00:00+01:00", "end": "2030-03-01T12:00:00+01:00"},
                    language="sv")
    assert response.status_code == 422
    assert response.get_json()["error"] == {"code": "invalid_meeting", "field": "end",
                                            "message": "Sluttiden måste vara efter starttiden."}
    assert db.session.scalars(select(Meeting)).all() == [] and outbox("meeting_invited") == []


@pytest.mark.parametrize("body, field", [({"start": "2030-03-01T13:00:00+01:00", "end": "2030-03-01T15:00:00+01:00"},
                                          "title"),
                                         ({"title": "T", "start": "2030-03-01T13:00:00", "end": "2030-03-01T15:00:00Z"},
                                          "start"),
                                         ({"title": "T", "start": "2030-03-01T13:00:00Z", "end": "2030-03-01T15:00:00Z",
                                           "online_url": "ftp://x"}, "online_url")])
def test_bad_meeting_input_is_422_naming_the_field(client, network, body, field):
    response = call(client, network["coordinator"], "post", "/api/v1/network/meetings", body)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_a_change_sends_updates_and_keeps_what_is_not_given(client, network, planned):
    coordinator = network["coordinator"]
    response = call(client, coordinator, "patch", f"/api/v1/network/meetings/{planned.id}", {"place": "Värnamo"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["place"] == "Värnamo" and body["title"] == "Träff" and body["sequence"] == 1
    assert sorted(m.recipient for m in outbox("meeting_changed")) == sorted(u.email for u in network["contacts"])
    response = call(client, coordinator, "patch", f"/api/v1/network/meetings/{planned.id}",
                    {"end": body["start"]})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "end"
    assert db.session.get(Meeting, planned.id).sequence == 1


def test_cancelling_tells_every_invited_contact_and_cannot_be_repeated(client, network, planned):
    coordinator = network["coordinator"]
    url = f"/api/v1/network/meetings/{planned.id}"
    response = call(client, coordinator, "delete", url)
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert sorted(m.recipient for m in outbox("meeting_cancelled")) == sorted(u.email for u in network["contacts"])
    assert call(client, coordinator, "get", url).get_json()["status"] == "cancelled"
    assert call(client, coordinator, "delete", url).status_code == 409
    response = call(client, coordinator, "patch", f"/api/v1/network/meetings/{planned.id}", {"title": "Igen"})
    assert response.status_code == 409
    assert len(outbox("meeting_cancelled")) == 2


def test_the_coordinator_writes_minutes_adds_and_closes_actions(client, make, network, planned):
    coordinator = network["coordinator"]
    response = call(client, coordinator, "put", f"/api/v1/network/meetings/{planned.id}/minutes",
                    {"minutes": "Vi beslutade att köpa en docka."})
    assert response.status_code == 200 and response.get_json()["minutes"] == "Vi beslutade att köpa en docka."
    station = make.station()
    response = call(client, coordinator, "post", f"/api/v1/network/meetings/{planned.id}/actions",
                    {"text": "Byt docka", "owner_kind": "station", "station_id": station.id, "due_on": "2030-05-01"})
    assert response.status_code == 201
    action = response.get_json()
    assert action["owner"] == station.name and action["due_on"] == "2030-05-01" and action["done_at"] is None
    response = call(client, coordinator, "post", f"/api/v1/network/actions/{action['id']}/close",
                    {"note": "Köpt", "station_change": "Ny docka på plats"})
    assert response.status_code == 200
    assert response.get_json()["done_note"] == "Köpt" and response.get_json()["done_at"] is not None
    assert [c.description for c in ops.station_changes(station.id)] == ["Ny docka på plats"]
    response = call(client, coordinator, "post", f"/api/v1/network/actions/{action['id']}/close", {})
    assert response.status_code == 409


def test_an_action_needs_its_owner_and_a_station_change_needs_a_station(client, network, planned):
    coordinator = network["coordinator"]
    url = f"/api/v1/network/meetings/{planned.id}/actions"
    response = call(client, coordinator, "post", url, {"text": "Ring", "owner_kind": "station"})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "station_id"
    response = call(client, coordinator, "post", url, {"text": "Ring", "owner_kind": "skill", "skill_id": 999})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "skill_id"
    response = call(client, coordinator, "post", url, {"text": "Ring", "owner_kind": "organisation", "member_id": 999})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "member_id"
    member = network["pending"]
    response = call(client, coordinator, "post", url, {"text": "Ring", "owner_kind": "organisation",
                                                      "member_id": member.id})
    assert response.status_code == 201 and response.get_json()["owner"] == member.name
    response = call(client, coordinator, "post", url, {"text": "Ring", "owner_kind": "boss"})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "owner_kind"
    action = db.session.scalars(select(MeetingAction).where(MeetingAction.owner_kind == "person")).one()
    response = call(client, coordinator, "post", f"/api/v1/network/actions/{action.id}/close",
                    {"station_change": "Ny docka"})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "station_change"
    assert db.session.get(MeetingAction, action.id).done_at is None


def test_a_member_contact_answers_their_own_invitation_only(client, make, network, planned):
    url = f"/api/v1/network/meetings/{planned.id}/answer"
    contact = network["contacts"][0]
    response = call(client, contact, "post", url, {"answer": "accepted"})
    assert response.status_code == 200
    answers = {i["name"]: i["answer"] for i in response.get_json()["invitations"]}
    assert answers == {contact.name: "accepted", network["contacts"][1].name: "needs-action"}
    # Not invited (the pending member's contact): 404, as on the page; not a network user: 403.
    assert call(client, network["pending_user"], "post", url, {"answer": "declined"}).status_code == 404
    assert call(client, make.user("participant"), "post", url, {"answer": "declined"}).status_code == 403
    response = call(client, contact, "post", url, {"answer": "maybe"})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "answer"
    ops.cancel_meeting(network["coordinator"], planned)
    db.session.commit()
    assert call(client, contact, "post", url, {"answer": "declined"}).status_code == 409
    assert ops.invitation_of(db.session.get(Meeting, planned.id), contact).answer == "accepted"


def test_the_coordinator_approves_a_member_whose_contacts_are_invited_to_coming_meetings(client, network, planned):
    url = f"/api/v1/network/members/{network['pending'].id}/approve"
    response = call(client, network["coordinator"], "post", url, {})
    assert response.status_code == 200 and response.get_json()["status"] == "member"
    assert network["pending_user"].email in {m.recipient for m in outbox("meeting_invited")}
    assert call(client, network["coordinator"], "post", url, {}).status_code == 409


def test_the_coordinator_records_attendance_with_the_user_ids_the_meeting_shows(client, network, planned):
    coordinator = network["coordinator"]
    url = f"/api/v1/network/meetings/{planned.id}"
    invitations = call(client, coordinator, "get", url).get_json()["invitations"]
    ids = {i["name"]: i["user_id"] for i in invitations}
    assert ids == {u.name: u.id for u in network["contacts"]}
    came, absent = network["contacts"]
    response = call(client, coordinator, "put", f"{url}/attendance", {"present": [ids[came.name]]})
    assert response.status_code == 200
    assert {i["user_id"]: i["attended"] for i in response.get_json()["invitations"]} == {came.id: True,
                                                                                         absent.id: False}
    # The whole list each time, as the page's form: an empty list marks everyone absent.
    response = call(client, coordinator, "put", f"{url}/attendance", {"present": []})
    assert {i["attended"] for i in response.get_json()["invitations"]} == {False}


@pytest.mark.parametrize("body", [{}, {"present": "1"}, {"present": [0]}, {"present": [2**31]}, {"present": [True]},
                                  {"present": [1], "absent": [2]}, "not-invited"])
def test_attendance_naming_someone_not_invited_or_not_a_list_of_ids_is_422(client, network, planned, body):
    not_invited = body == "not-invited"
    if not_invited:
        body = {"present": [network["contacts"][0].id, network["pending_user"].id]}
    response = call(client, network["coordinator"], "put", f"/api/v1/network/meetings/{planned.id}/attendance", body,
                    language="sv")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["field"] in {"present", "absent"}
    if not_invited:
        assert error["message"] == "present anger någon som inte var inbjuden till träffen."
    db.session.expire_all()
    assert {i.attended for i in db.session.get(Meeting, planned.id).invitations} == {None}


def test_the_coordinator_adds_a_contact_who_is_invited_to_coming_meetings(client, make, network, planned):
    member = ops.contact_of(network["contacts"][0]).member
    newcomer = make.user("network", name="Nils Nykomling", email="nils@example.org")
    db.session.commit()
    response = call(client, network["coordinator"], "post", f"/api/v1/network/members/{member.id}/contacts",
                    {"email": " Nils@Example.org "})
    assert response.status_code == 200
    contacts = {c["name"]: c["user_id"] for c in response.get_json()["contacts"]}
    assert contacts == {network["contacts"][0].name: network["contacts"][0].id, newcomer.name: newcomer.id}
    [invited] = [m for m in outbox("meeting_invited") if m.recipient == newcomer.email]
    _cal, event = event_of(invited)
    assert str(event["SUMMARY"]) == "Träff" and newcomer.email in str(event["ATTENDEE"])
    assert ops.invitation_of(db.session.get(Meeting, planned.id), newcomer) is not None


def test_a_pending_members_new_contact_is_not_invited_yet(client, make, network, planned):
    newcomer = make.user("network", email="vera@example.org")
    db.session.commit()
    response = call(client, network["coordinator"], "post",
                    f"/api/v1/network/members/{network['pending'].id}/contacts", {"email": newcomer.email})
    assert response.status_code == 200
    assert newcomer.id in {c["user_id"] for c in response.get_json()["contacts"]}
    assert newcomer.email not in {m.recipient for m in outbox("meeting_invited")}


@pytest.mark.parametrize("body", [{"email": "okand@example.org"}, {"email": "participant"}, {"email": ""},
                                  {}, {"email": 5}])
def test_a_contact_must_be_an_active_network_user(client, make, network, body):
    if body.get("email") == "participant":
        body = {"email": make.user("participant", email="deltagare@example.org").email}
        db.session.commit()
    member = network["pending"]
    response = call(client, network["coordinator"], "post", f"/api/v1/network/members/{member.id}/contacts", body)
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "email"
    assert db.session.scalar(select(func.count(MemberContact.id)).where(MemberContact.member_id == member.id)) == 1


def test_ending_a_membership_withdraws_its_contacts_invitations_to_coming_meetings(client, network, planned):
    contact, other = network["contacts"]
    member = ops.contact_of(contact).member
    response = call(client, network["coordinator"], "delete", f"/api/v1/network/members/{member.id}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "left" and body["left_at"] is not None
    [withdrawn] = outbox("meeting_withdrawn")
    assert withdrawn.recipient == contact.email and withdrawn.ics_method == "CANCEL"
    _cal, event = event_of(withdrawn)
    assert "STATUS" not in event  # only this attendee is removed: the meeting goes on
    meeting = call(client, other, "get", f"/api/v1/network/meetings/{planned.id}").get_json()
    assert {i["user_id"]: i["withdrawn"] for i in meeting["invitations"]} == {contact.id: True, other.id: False}
    assert call(client, network["coordinator"], "delete", f"/api/v1/network/members/{member.id}").status_code == 409
    assert len(outbox("meeting_withdrawn")) == 1


def test_a_members_own_contact_ends_its_membership_but_not_anothers(client, network, planned):
    contact, other = network["contacts"]
    others_member = ops.contact_of(other).member
    response = call(client, contact, "delete", f"/api/v1/network/members/{others_member.id}")
    assert response.status_code == 403
    own = ops.contact_of(contact).member
    response = call(client, contact, "delete", f"/api/v1/network/members/{own.id}")
    assert response.status_code == 200 and response.get_json()["status"] == "left"
    db.session.expire_all()
    assert db.session.get(NetworkMember, others_member.id).status == "member"
    assert [m.recipient for m in outbox("meeting_withdrawn")] == [contact.email]


def test_only_an_admin_sets_the_coordinator_flag_which_lets_a_network_user_plan(client, make, network):
    admin = make.user("admin")
    plain = network["contacts"][0]
    url = f"/api/v1/network/users/{plain.id}/coordinator"
    meeting = {"title": "Höstträff", "start": "2030-09-01T13:00:00+02:00", "end": "2030-09-01T15:00:00+02:00"}
    assert call(client, plain, "post", "/api/v1/network/meetings", meeting).status_code == 403
    # The network's coordinator runs the meetings but does not appoint coordinators (as on the page).
    assert call(client, network["coordinator"], "put", url, {"coordinator": True}).status_code == 403
    response = call(client, admin, "put", url, {"coordinator": True})
    assert response.status_code == 200
    assert response.get_json() == {"id": plain.id, "name": plain.name, "email": plain.email, "active": True,
                                   "coordinator": True}
    assert call(client, plain, "post", "/api/v1/network/meetings", meeting).status_code == 201
    assert call(client, admin, "put", url, {"coordinator": False}).get_json()["coordinator"] is False
    assert call(client, plain, "post", "/api/v1/network/meetings", meeting).status_code == 403


def test_the_coordinator_flag_is_only_for_network_users(client, make, network):
    admin = make.user("admin")
    manager = make.user("manager")
    for user_id in (manager.id, 999, 2**31):
        assert call(client, admin, "put", f"/api/v1/network/users/{user_id}/coordinator",
                    {"coordinator": True}).status_code == 404
    assert db.session.get(type(manager), manager.id).network_coordinator is False
    for body in ({}, {"coordinator": "yes"}, {"coordinator": 1}, {"coordinator": True, "role": "admin"}):
        response = call(client, admin, "put", f"/api/v1/network/users/{network['contacts'][0].id}/coordinator", body)
        assert response.status_code == 422, body
    assert network["contacts"][0].network_coordinator is False


def test_only_admins_list_the_network_users(client, make, network):
    admin = make.user("admin")
    body = call(client, admin, "get", "/api/v1/network/users").get_json()
    by_id = {u["id"]: u["coordinator"] for u in body["items"]}
    assert by_id == {network["coordinator"].id: True, network["pending_user"].id: False,
                     **{u.id: False for u in network["contacts"]}}
    for user in (network["coordinator"], network["contacts"][0], make.user("manager"), make.user("instructor"),
                 make.user("participant")):
        assert call(client, user, "get", "/api/v1/network/users").status_code == 403
