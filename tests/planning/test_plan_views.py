"""From a need to a plan: the coordinator sets the instructor's inputs, proposes, accepts; the
manager is offered the seats and books; the need shows covered."""
from datetime import date, time, timedelta

from sqlalchemy import select

from ktc.bookings.models import Booking
from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.planning import operations as ops
from ktc.planning.models import Need, instructor_skills
from ktc.sessions.models import Session


def _month(months_ahead):
    today = date.today()
    return ops.add_months(date(today.year, today.month, 1), months_ahead)


def test_need_to_plan_to_offer_to_booking(client, login_as, make, app):
    app.config["KTC_PLAN_TIME_LIMIT"] = 5.0
    kommun, region = make.organisation("municipal", name="Vaggeryds kommun"), make.organisation("regional")
    unit, unit_r = make.unit(kommun, name="Hemtjänst Skillingaryd"), make.unit(region, name="Vårdcentralen")
    skill = make.skill(code="INS", name="Insulingivning")
    centre = make.centre(opens=time(8, 0), closes=time(12, 0))
    make.station(centre, skills=[skill], name="Läkemedelsstationen", default_capacity=6,
                 default_duration_minutes=120, changeover_minutes=15, default_min_per_side=1)
    staff = [make.participant(unit, name=f"Undersköterska {i}") for i in range(3)]
    nurse = make.participant(unit_r, name="Sjuksköterska R", side="regional")
    manager, manager_r = make.manager(unit, email="chef@vaggeryd.example"), make.manager(unit_r)
    instructor = make.user("instructor", name="Ingrid Instruktör")
    admin = make.user("admin")
    db.session.commit()

    login_as(manager)
    r = client.post("/needs/new", data={"unit_id": unit.id, "skill_id": skill.id,
                                        "month": _month(2).strftime("%Y-%m"),
                                        "participant_ids": [p.id for p in staff]})
    assert r.status_code == 302
    login_as(manager_r)
    assert client.post("/needs/new", data={"unit_id": unit_r.id, "skill_id": skill.id,
                                           "month": _month(2).strftime("%Y-%m"), "people": "1"}).status_code == 302

    login_as(admin)
    # Bad input: an instructor available 25:00 is refused and nothing is saved.
    r = client.post(f"/needs/instructors/{instructor.id}", data={"skill_ids": [skill.id],
                                                                 "availability": "1 08:00-25:00"})
    assert r.status_code == 422 and "Rad 1" in r.text
    weekdays = "\n".join(f"{d} 08:00-12:00" for d in range(1, 8))
    r = client.post(f"/needs/instructors/{instructor.id}", data={"skill_ids": [skill.id], "max_per_day": "1",
                                                                 "availability": weekdays})
    assert r.status_code == 302
    assert client.post("/needs/plan", data={"centre_id": "0", "weeks": "60"}).status_code == 422
    proposal = client.post("/needs/plan", data={"centre_id": str(centre.id), "weeks": "8"})
    assert proposal.status_code == 200
    assert "Läkemedelsstationen" in proposal.text and "Blandad" in proposal.text
    rows = proposal_form(proposal.text)
    assert len([name for name in rows if name.startswith("row-")]) == 1
    r = client.post("/needs/plan/accept", data={**rows, "keep": ["1"]})
    assert r.status_code == 302
    session = db.session.execute(select(Session)).scalar_one()
    assert (session.min_per_side, [s.code for s in session.skills], [i.name for i in session.instructors]) == \
        (1, ["INS"], ["Ingrid Instruktör"])
    assert {n.status for n in db.session.execute(select(Need)).scalars()} == {"covered"}
    offer = db.session.execute(select(OutboxMessage).where(OutboxMessage.recipient == "chef@vaggeryd.example")
                               ).scalar_one()
    assert "Undersköterska 0" in offer.body_text and f"session={session.id}" in offer.body_text

    login_as(manager)
    r = client.post(f"/bookings/team?session={session.id}",
                    data={"session": session.id, "participant_ids": [p.id for p in staff]}, follow_redirects=True)
    assert r.status_code == 200
    assert len(db.session.execute(select(Booking).where(Booking.status == "confirmed")).all()) == 3
    assert "Täckt" in client.get("/needs/").text and "Uppfyllt" not in client.get("/needs/").text
    # Once the people have the skill signed in that session, the need shows as met.
    from ktc.records.models import SkillRecord

    db.session.add_all([SkillRecord(participant=p, skill=skill, session=session, outcome="demonstrated")
                        for p in staff])
    db.session.commit()
    listing = client.get("/needs/").text
    assert "Uppfyllt" in listing


def test_accepting_is_all_or_nothing(client, login_as, make):
    skill = make.skill()
    station = make.station(make.centre(), skills=[skill])
    instructor = make.user("instructor")
    db.session.execute(instructor_skills.insert().values(user_id=instructor.id, skill_id=skill.id))
    existing = make.session(station, start=make.future(5))
    login_as(make.user("admin"))
    db.session.commit()
    good_start = make.future(6)
    rows = {
        "row-1": f"{station.id}|{good_start.isoformat()}|{(good_start + timedelta(hours=2)).isoformat()}|"
                 f"{skill.id}|{instructor.id}|0",
        # On top of an existing session: create_session refuses it, so the first is not kept either.
        "row-2": f"{station.id}|{existing.start_at.isoformat()}|{existing.end_at.isoformat()}|{skill.id}|"
                 f"{instructor.id}|0",
    }
    horizon = f"{date.today().isoformat()}|{(date.today() + timedelta(weeks=8)).isoformat()}"
    r = client.post("/needs/plan/accept", data={**rows, "keep": ["1", "2"], "horizon": horizon})
    assert r.status_code == 422 and "Inget skapades" in r.text
    assert db.session.execute(select(Session.id)).scalars().all() == [existing.id]


def proposal_form(html):
    """What the proposal page posts back: its hidden fields (the rows, the period, the figures)."""
    import re
    from html import unescape

    form = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html):
        if name != "csrf_token":
            form.setdefault(name, []).append(unescape(value))
    return form
