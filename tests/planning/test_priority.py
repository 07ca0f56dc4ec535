"""The priority window of an accepted plan: until it ends only the people of the units whose needs a
session covers can be booked (by their managers, or by KTC staff on their behalf); after it anyone.
And the offer's link opens the team booking with the need's people ticked."""
import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from ktc.accounts.operations import issue_api_token
from ktc.bookings.models import Booking
from ktc.bookings.operations import book_team
from ktc.database import utcnow
from ktc.errors import SeatsReserved
from ktc.extensions import db
from ktc.i18n import to_local
from ktc.mail.models import OutboxMessage
from ktc.planning import proposals
from ktc.planning.models import Need


def _month_of(moment):
    return date(moment.year, moment.month, 1)


@pytest.fixture
def plan(make):
    """A session accepted from a plan at `accepted`, covering unit A's need (two named people) and unit C's
    need for two people of any; unit B asked for nothing. `accept(now)` accepts it."""
    skill = make.skill(code="KAT", name="Kateterisering", refresh_months=12)
    station = make.station(make.centre(), skills=[skill], name="Kateterstationen", default_capacity=8)
    instructor = make.user("instructor")
    unit_a, unit_b = make.unit(name="Hemtjänst Norr"), make.unit(name="Hemtjänst Syd")
    unit_c = make.unit(name="Korttidsboendet")
    a1, a2, a3 = (make.participant(unit_a, name=n) for n in ("Anna Ek", "Bo Ek", "Cilla Ek"))
    b1 = make.participant(unit_b, name="Doris Syd")
    # Unit C: one valid, one lapsed, two who never demonstrated the skill.
    c_valid, c_lapsed = make.participant(unit_c, name="Cecilia Giltig"), make.participant(unit_c, name="Örjan Utgått")
    c_none1, c_none2 = make.participant(unit_c, name="Adam Saknar"), make.participant(unit_c, name="Berit Saknar")
    start = make.future(days=20)
    make.skill_record(c_valid, skill, valid_until=(start + timedelta(days=300)).date())
    make.skill_record(c_lapsed, skill, valid_until=(start - timedelta(days=30)).date())
    need_a = Need(unit=unit_a, skill=skill, people=2, month=_month_of(start), named=[a1, a2])
    need_c = Need(unit=unit_c, skill=skill, people=2, month=_month_of(start))
    db.session.add_all([need_a, need_c])
    world = SimpleNamespace(
        skill=skill, station=station, unit_a=unit_a, unit_b=unit_b, unit_c=unit_c, a1=a1, a2=a2, a3=a3, b1=b1,
        c_valid=c_valid, c_lapsed=c_lapsed, c_none1=c_none1, c_none2=c_none2, need_a=need_a, need_c=need_c,
        manager_a=make.manager(unit_a, email="chef.norr@example.org"), manager_b=make.manager(unit_b),
        manager_c=make.manager(unit_c, email="chef.kort@example.org"), admin=make.user("admin"),
    )

    def accept(now, min_per_side=0):
        item = proposals.Proposed(station, start, start + timedelta(hours=2), skill, instructor, min_per_side)
        sessions, covered = proposals.accept(world.admin, [item], offer_days=7, now=now)
        assert set(covered) == {need_a.id, need_c.id}
        world.session = sessions[0]
        return sessions[0]

    world.accept, world.start = accept, start
    db.session.flush()
    return world


def _statuses(results):
    return {r.participant.name: r.status for r in results}


def test_in_the_window_only_the_covered_units_people_are_booked_and_after_it_anyone(plan):
    accepted = utcnow()
    session = plan.accept(accepted)
    assert session.priority_until == accepted + timedelta(days=7)
    during = accepted + timedelta(days=1)

    with pytest.raises(SeatsReserved) as refused:
        book_team(plan.manager_b, session, [plan.b1], now=during)
    assert refused.value.code == "seats_reserved" and "Doris Syd" in str(refused.value)
    # KTC staff are bound too: they book the covered units' people on their behalf, nobody else.
    with pytest.raises(SeatsReserved):
        book_team(plan.admin, session, [plan.a3, plan.b1], now=during)
    assert db.session.execute(select(Booking)).first() is None

    # A person of the covered unit who was not named is still that unit's: the seats are the unit's.
    assert _statuses(book_team(plan.manager_a, session, [plan.a1, plan.a3], now=during)) == \
        {"Anna Ek": "confirmed", "Cilla Ek": "confirmed"}
    assert _statuses(book_team(plan.admin, session, [plan.c_none1], now=during)) == {"Adam Saknar": "confirmed"}

    # The window ends by itself: the same booking one second after it is accepted.
    assert _statuses(book_team(plan.manager_b, session, [plan.b1],
                               now=session.priority_until + timedelta(seconds=1))) == {"Doris Syd": "confirmed"}


def test_a_plan_session_that_covers_no_need_is_open_to_everyone(plan, make):
    other = make.skill(code="SAR")
    plan.station.skills.append(other)
    start = make.future(days=21)
    item = proposals.Proposed(plan.station, start, start + timedelta(hours=2), other, make.user("instructor"), 0)
    sessions, covered = proposals.accept(plan.admin, [item], offer_days=7)
    assert covered == {} and sessions[0].priority_until is None
    assert _statuses(book_team(plan.manager_b, sessions[0], [plan.b1])) == {"Doris Syd": "confirmed"}


def _form(client, session, people):
    return client.post(f"/bookings/team?session={session.id}",
                       data={"session": session.id, "participant_ids": [p.id for p in people],
                             "tick_order": ",".join(str(p.id) for p in people)}, follow_redirects=True)


def _ticked(html):
    return set(int(x) for x in re.findall(r'name="participant_ids" value="(\d+)" id="p-\d+" checked', html))


def test_the_team_form_refuses_other_units_in_the_window_and_keeps_the_ticks(plan, client, login_as):
    session = plan.accept(utcnow())
    b1_id, until_text = plan.b1.id, to_local(session.priority_until).strftime("%Y-%m-%d %H:%M")
    db.session.commit()
    login_as(plan.manager_b)
    page = client.get(f"/bookings/team?session={session.id}")
    # No form offering seats the booking would refuse: when the staff can be booked instead.
    assert page.status_code == 200 and 'name="participant_ids"' not in page.text
    assert "Reserverat till" in page.text and "Din personal kan bokas från" in page.text

    # Posted anyway (an old page): refused with the day the seats open, the person still ticked.
    r = _form(client, session, [plan.b1])
    assert r.status_code == 409
    assert "Doris Syd kan bokas från och med då" in r.text and until_text in r.text
    assert db.session.execute(select(Booking)).first() is None

    login_as(plan.admin)
    r = client.post(f"/bookings/team?session={session.id}&unit={plan.unit_b.id}",
                    data={"session": session.id, "participant_ids": [b1_id, plan.a3.id]}, follow_redirects=True)
    assert r.status_code == 409 and _ticked(r.text) == {b1_id, plan.a3.id}
    assert "Doris Syd" in r.text

    login_as(plan.manager_a)
    assert "Reserverat till" in client.get(f"/bookings/team?session={session.id}").text
    r = _form(client, session, [plan.a3])
    assert r.status_code == 200
    assert db.session.execute(select(Booking.participant_id)).scalars().all() == [plan.a3.id]


def test_the_team_form_books_anyone_once_the_window_is_over(plan, client, login_as):
    session = plan.accept(utcnow() - timedelta(days=7, seconds=1))
    db.session.commit()
    login_as(plan.manager_b)
    assert "Reserverat" not in client.get(f"/bookings/team?session={session.id}").text
    r = _form(client, session, [plan.b1])
    assert r.status_code == 200
    assert db.session.execute(select(Booking.status)).scalars().all() == ["confirmed"]


def _api_book(client, token, session, people):
    db.session.commit()
    return client.post(f"/api/v1/sessions/{session.id}/bookings", headers={"Authorization": f"Bearer {token}"},
                       json={"participant_ids": [p.id for p in people], "all_or_nothing": False})


def test_the_api_answers_409_seats_reserved_in_the_window(plan, client):
    session = plan.accept(utcnow())
    token_b, token_a = issue_api_token(plan.manager_b, "test"), issue_api_token(plan.manager_a, "test")
    db.session.commit()
    shown = client.get(f"/api/v1/sessions/{session.id}", headers={"Authorization": f"Bearer {token_b}"}).json
    assert datetime.fromisoformat(shown["priority_until"]) == session.priority_until
    r = _api_book(client, token_b, session, [plan.b1])
    assert r.status_code == 409 and r.json["error"]["code"] == "seats_reserved"
    assert "Doris Syd" in r.json["error"]["message"]
    r = _api_book(client, token_a, session, [plan.a1])
    assert r.status_code == 201 and r.json["results"][0]["status"] == "confirmed"


def test_the_api_books_anyone_after_the_window(plan, client):
    session = plan.accept(utcnow() - timedelta(days=8))
    r = _api_book(client, issue_api_token(plan.manager_b, "test"), session, [plan.b1])
    assert r.status_code == 201 and r.json["results"][0]["status"] == "confirmed"


def test_lists_of_bookable_sessions_show_the_reservation_to_other_units(plan, client, login_as, make):
    session = plan.accept(utcnow())
    profession = make.profession(skills=[plan.skill])
    plan.b1.profession = profession
    plan.a3.profession = profession
    db.session.commit()
    login_as(plan.manager_b)
    pick = client.get("/bookings/team")
    assert "Reserverat för enheterna som bad om utbildningen till" in pick.text
    assert f"/bookings/team?session={session.id}" not in pick.text
    detail = client.get(f"/sessions/{session.id}")
    assert "Reserverat till" in detail.text and f"/bookings/team?session={session.id}" not in detail.text
    matrix = client.get("/records/matrix")
    assert "Reserverat för enheterna som bad om utbildningen till" in matrix.text

    login_as(plan.manager_a)
    pick = client.get("/bookings/team")
    assert f"/bookings/team?session={session.id}" in pick.text
    assert "Reserverat för enheterna" not in pick.text
    assert "Reserverat för enheterna" not in client.get("/records/matrix").text
    assert f"/bookings/team?session={session.id}" in client.get(f"/sessions/{session.id}").text


def _offer_path(recipient):
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.recipient == recipient)).scalar_one()
    url = re.search(r"https?://\S+/bookings/team\?\S+", message.body_text).group(0)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_offers_link_ticks_the_named_people(plan, client, login_as):
    session = plan.accept(utcnow())
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.recipient == "chef.norr@example.org")
                                 ).scalar_one()
    assert f"Till {to_local(session.priority_until).strftime('%Y-%m-%d %H:%M')} kan bara era enheter" in \
        message.body_text
    a1, a2 = plan.a1.id, plan.a2.id
    path = _offer_path("chef.norr@example.org")
    db.session.commit()
    login_as(plan.manager_a)
    page = client.get(path)
    assert page.status_code == 200
    assert _ticked(page.text) == {a1, a2}
    assert re.search(r'name="tick_order" value="(\d+,\d+)"', page.text).group(1) == f"{a1},{a2}"
    # Another unit's manager following the link gets no ticks (the need is not theirs).
    login_as(plan.manager_b)
    assert _ticked(client.get(path).text) == set()


def test_the_offers_link_ticks_people_who_lack_the_skill_for_a_count_only_need(plan, client, login_as):
    session = plan.accept(utcnow())
    path = _offer_path("chef.kort@example.org")
    expected = [plan.c_lapsed.id, plan.c_none1.id]  # the lapsed record first, then by name; two asked for
    db.session.commit()
    login_as(plan.manager_c)
    page = client.get(path)
    assert _ticked(page.text) == set(expected)
    assert re.search(r'name="tick_order" value="([\d,]*)"', page.text).group(1) == ",".join(map(str, expected))

    # Booked from the link: the next time the link ticks whoever still lacks the skill.
    r = client.post(f"/bookings/team?session={session.id}", data={"session": session.id, "participant_ids": expected}, follow_redirects=True)
    assert r.status_code == 200
    assert _ticked(client.get(path).text) == {plan.c_none2.id}


def test_seats_released_in_the_window_are_announced_only_to_the_units_that_asked(plan, make):
    from ktc.mail import jobs

    profession = make.profession(skills=[plan.skill])
    plan.a3.profession = profession  # both units have someone who needs the skill
    plan.b1.profession = profession
    release = plan.start - timedelta(hours=72)
    session = plan.accept(release - timedelta(days=1), min_per_side=1)
    assert session.priority_until > release
    db.session.commit()
    assert jobs.notify_seats_released(release + timedelta(minutes=5)) == 1
    sent = db.session.execute(select(OutboxMessage.recipient).where(OutboxMessage.kind == "seats_released"))
    assert sent.scalars().all() == ["chef.norr@example.org"]


def test_a_person_moved_out_of_the_covering_unit_while_being_booked_is_refused(app, plan):
    """The unit is read after the person's row is locked: a move committed meanwhile decides."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time: the two cannot interleave")
    from ktc.accounts.models import User
    from ktc.organisations.models import Participant, Unit
    from ktc.organisations.operations import update_participant
    from ktc.sessions.models import Session
    from tests.planning.test_races import stage

    session = plan.accept(utcnow())
    ids = SimpleNamespace(admin=plan.admin.id, person=plan.a3.id, unit_b=plan.unit_b.id, session=session.id)

    def move():
        person = db.session.get(Participant, ids.person)
        update_participant(db.session.get(User, ids.admin), person, person.name, person.email,
                           db.session.get(Unit, ids.unit_b))

    def book():
        book_team(db.session.get(User, ids.admin), db.session.get(Session, ids.session),
                  [db.session.get(Participant, ids.person)])

    assert stage(app, move, book) == {"first": "stored", "second": "refused"}
    db.session.expire_all()
    assert db.session.execute(select(Booking)).first() is None


def test_when_the_window_ends_with_seats_free_the_other_units_are_told_once(plan, make):
    """A unit that asked for nothing could not book in the window; when it ends, its manager (whose
    staff need the skill) learns the seats are open, once, in their language, with a link to book."""
    from ktc.mail import jobs

    profession = make.profession(skills=[plan.skill])
    plan.b1.profession = profession  # unit B has someone who needs the skill
    plan.manager_b.email, plan.manager_b.locale = "chef.syd@example.org", "en"
    accepted = plan.start - timedelta(days=10)
    session = plan.accept(accepted)
    db.session.commit()
    assert jobs.notify_seats_opened(session.priority_until - timedelta(minutes=5)) == 0  # still reserved
    assert jobs.notify_seats_opened(session.priority_until + timedelta(minutes=5)) == 1
    assert jobs.notify_seats_opened(session.priority_until + timedelta(minutes=20)) == 0  # told once
    message = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "seats_opened")).scalar_one()
    assert message.recipient == "chef.syd@example.org"
    assert message.subject.startswith("Open to every unit now: ")
    assert "every unit can book it. 8 seats are free." in message.body_text
    assert f"/bookings/team?session={session.id}" in message.body_text
    # Two days later nobody is told: a scheduler that was off does not announce old news.
    assert jobs.notify_seats_opened(session.priority_until + timedelta(days=2)) == 0
