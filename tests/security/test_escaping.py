"""Text that people type reaches other people escaped, on every page and e-mail that shows it (issue 18).

Each place gets its own payload, so a failure names the field that let markup through: a
`|safe` (or a Markup()) on any of them turns the payload into live HTML in someone else's browser.
"""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from ktc.bookings.operations import book_team, cancel_booking
from ktc.extensions import db
from ktc.feedback.operations import save_session_report
from ktc.mail.models import OutboxMessage
from ktc.network.jobs import send_network_digest
from ktc.network.stats import rebuild_session_stats
from ktc.sessions.operations import cancel_session

from tests.calendar.helpers import rendered


def payload(label):
    """Markup that would run script if it were not escaped; `label` says where it was typed."""
    return f"<script>alert({label})</script><img src=x onerror=alert({label})>"


def escaped(label):
    return f"&lt;script&gt;alert({label})&lt;/script&gt;&lt;img src=x onerror=alert({label})&gt;"


def assert_escaped(body, *labels, where=""):
    for label in labels:
        assert f"<script>alert({label})" not in body, f"{label} unescaped on {where}"
        assert f"<img src=x onerror=alert({label})>" not in body, f"{label} unescaped on {where}"
        assert escaped(label) in body, f"{label} not shown on {where}"


def _page(client, url, **kw):
    response = client.get(url, **kw)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.fixture
def network_world(make):
    """A March 2024 session with five answers whose free text is markup, and a report that is markup too."""
    admin = make.user("admin")
    station = make.plain_station(name="HLR")
    session = make.completed_session(station, start=make.local(2024, 3, 5, 9))
    for i in range(5):
        booking = make.booking(session, make.participant(name=f"Deltagare {'ABCDE'[i]}"), status="attended")
        make.feedback(session, booking, take_back=payload("take_back"), improve=payload("improve"))
    save_session_report(admin, session, payload("what_worked"), payload("what_to_change"),
                        payload("equipment_problems"))
    rebuild_session_stats()
    member = make.user("network")
    db.session.commit()
    return type("W", (), {"member_id": member.get_id(), "admin_id": admin.get_id(), "session_id": session.id})


FREE_TEXT = ("take_back", "improve", "what_worked", "what_to_change", "equipment_problems")


def test_network_page_and_digest_escape_feedback_and_reports(client, make, network_world):
    make.set_login(client, network_world.member_id)
    page = _page(client, "/network/", query_string={"date_from": "2024-03-01", "date_to": "2024-03-31"})
    assert_escaped(page, *FREE_TEXT, where="the network page")

    digest = send_network_digest(now=datetime(2024, 4, 1, 6, tzinfo=timezone.utc))
    digest_id = digest.id
    (message,) = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "network_digest")).scalars()
    for label in FREE_TEXT:  # the e-mail links to the page; whatever it quotes must be escaped
        assert f"<script>alert({label})" not in message.body_html
    db.session.commit()
    assert_escaped(_page(client, f"/network/digests/{digest_id}"), *FREE_TEXT, where="the digest page")


def test_instructor_sees_the_report_form_escaped(client, make, network_world):
    make.set_login(client, network_world.admin_id)
    page = _page(client, f"/feedback/sessions/{network_world.session_id}/report")
    assert_escaped(page, "what_worked", "what_to_change", "equipment_problems", where="the report form")


def test_names_and_cancel_reasons_are_escaped_for_everyone_who_sees_them(client, make):
    kommun = make.organisation("municipal", name="Eksjö kommun")
    unit = make.unit(kommun, name="Hemtjänst Söder")
    manager = make.manager(unit)
    admin = make.user("admin")
    instructor = make.user("instructor", name=payload("instructor_name"))
    skill = make.skill(refresh_months=24)
    profession = make.profession("Undersköterska", skills=[skill])
    booked = make.participant(unit, name=payload("participant_name"), profession=profession)
    leaving = make.participant(unit, name="Lena Lämnar", profession=profession)
    station = make.station(skills=[skill])
    future = make.session(station, start=make.future(10), skills=[skill], instructors=[instructor])
    past = make.session(station, start=datetime.now(timezone.utc) - timedelta(hours=3), skills=[skill],
                        instructors=[instructor])
    make.booking(past, booked)
    results = book_team(manager, future, [booked, leaving])
    cancel_booking(manager, results[1].booking, payload("booking_reason"))
    doomed = make.session(station, start=make.future(12), skills=[skill])
    book_team(manager, doomed, [booked])
    cancel_session(admin, doomed, payload("session_reason"))
    db.session.commit()
    ids = type("Ids", (), {"admin": admin.get_id(), "manager": manager.get_id(), "future": future.id,
                           "past": past.id, "doomed": doomed.id, "booked": booked.id, "unit": unit.id})

    make.set_login(client, ids.admin)
    detail = _page(client, f"/sessions/{ids.future}")
    assert_escaped(detail, "participant_name", "booking_reason", "instructor_name", where="the session page")
    assert_escaped(_page(client, f"/sessions/{ids.doomed}"), "session_reason", where="a cancelled session's page")
    assert_escaped(_page(client, f"/records/sessions/{ids.past}/roster"), "participant_name", where="the roster")
    assert_escaped(_page(client, "/organisations/participants"), "participant_name", where="the staff list")
    assert_escaped(_page(client, f"/records/participants/{ids.booked}"), "participant_name",
                   where="the skill record")

    make.set_login(client, ids.manager)
    assert_escaped(_page(client, "/records/matrix", query_string={"unit": ids.unit}), "participant_name",
                   where="the skill matrix")
    assert_escaped(_page(client, f"/bookings/team?session={ids.future}"), "participant_name",
                   where="the team booking page (booked)")
    other = make.session(make.station(skills=[skill]), start=make.future(20), skills=[skill])
    db.session.commit()
    assert_escaped(_page(client, f"/bookings/team?session={other.id}"), "participant_name",
                   where="the team booking page (to tick)")
    response = client.post("/bookings/team", data={"session": other.id, "participant_ids": [ids.booked]}, follow_redirects=True)
    assert response.status_code == 200
    assert_escaped(response.get_data(as_text=True), "participant_name", where="the booking result")

    # The e-mails that carry what others typed: the cancelled session's reason, the person's name.
    html = {m.kind: rendered(m).body_html for m in db.session.execute(select(OutboxMessage)).scalars()}
    assert_escaped(html["session_cancelled"], "session_reason", where="the cancellation e-mail")
    assert_escaped(html["booking_confirmed"], "participant_name", where="the confirmation e-mail")
