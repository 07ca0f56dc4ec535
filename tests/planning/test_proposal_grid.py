"""The proposal on the planner's week grid: proposed sessions drawn beside the existing ones, labelled;
a proposed session moved (station, instructor, day, time) is checked like a hand-made one, and the
accepted plan creates it where it was moved."""
from datetime import date, time, timedelta

from sqlalchemy import select

from ktc.extensions import db
from ktc.planning.models import InstructorAbsence, InstructorLimit, instructor_skills
from ktc.sessions.models import Session
from ktc.stations.models import ClosedDay

from tests.factories import local
from tests.planning.test_plan_views import proposal_form


def _monday_ahead():
    day = date.today() + timedelta(days=9)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _world(make):
    skill = make.skill(code="INS", name="Insulingivning")
    centre = make.centre(opens=time(8, 0), closes=time(12, 0), weekdays=range(5), name="KTC Värnamo")
    first = make.station(centre, skills=[skill], name="Läkemedelsstationen", changeover_minutes=15)
    second = make.station(centre, skills=[skill], name="Sårvårdsrummet", changeover_minutes=15)
    ingrid = make.user("instructor", name="Ingrid Instruktör")
    olle = make.user("instructor", name="Olle Ovan")  # may lead nothing
    db.session.execute(instructor_skills.insert().values(user_id=ingrid.id, skill_id=skill.id))
    monday = _monday_ahead()
    # Tuesday 08:00-10:00 the second station is taken; Wednesday the centre is closed.
    existing = make.session(second, start=local(*(monday + timedelta(days=1)).timetuple()[:3], 8), hours=2,
                            instructors=[make.user("instructor", name="Kalle Annan")], skills=[skill])
    db.session.add(ClosedDay(centre_id=centre.id, day=monday + timedelta(days=2), reason="Planeringsdag"))
    admin = make.user("admin")
    db.session.commit()
    start = local(monday.year, monday.month, monday.day, 8)
    row = f"{first.id}|{start.isoformat()}|{(start + timedelta(hours=2)).isoformat()}|{skill.id}|{ingrid.id}|1|3|2"
    form = {"row-1": [row], "keep": ["1"], "figures": ["500|600"],
            "horizon": [f"{monday.isoformat()}|{(monday + timedelta(weeks=4)).isoformat()}"]}
    return type("World", (), dict(locals()))


def _move(client, w, form, day, hour, minute=0, station=None, instructor=None):
    data = {**form, "move": "1", "station-1": str((station or w.first).id), "day-1": day.isoformat(),
            "time-1": f"{hour:02d}:{minute:02d}", "instructor-1": str((instructor or w.ingrid).id)}
    return client.post("/needs/plan/revise", data=data)


def _assert_refused(r, w, reason):
    """A refused move: 422 with the reason on the page, and the proposal's row as it was posted."""
    assert r.status_code == 422
    assert reason in r.text
    assert proposal_form(r.text)["row-1"] == w.form["row-1"]


def test_the_week_grid_shows_proposed_sessions_beside_the_planned_ones(client, login_as, make):
    w = _world(make)
    login_as(w.admin)
    r = client.post("/needs/plan/revise", data={**w.form, "show": "1"})
    assert r.status_code == 200
    html = r.text
    # The proposed session: a block of its own kind, labelled in text (not by colour alone), that
    # leads to its row with the move and drop controls.
    block = html.split('class="block block--proposed', 1)[1].split("</a>", 1)[0]
    assert 'href="#proposed-1"' in block and "Föreslagen" in block and "Insulingivning" in block
    assert "Ingrid Instruktör" in block and "08:00" in block
    assert 'id="proposed-1"' in html
    # The session already planned that week is on the same grid.
    assert f'href="/sessions/{w.existing.id}"' in html
    assert html.index("Läkemedelsstationen") < html.index('class="block block--proposed')


def test_one_station_has_the_days_across_as_on_the_week_planner(client, login_as, make):
    w = _world(make)
    login_as(w.admin)
    r = client.post("/needs/plan/revise", data={**w.form, "show": "1", "show_station": str(w.second.id),
                                                "show_week": w.monday.isoformat()})
    assert r.status_code == 200
    assert f'href="/sessions/{w.existing.id}"' in r.text and "block--proposed" not in r.text
    r = client.post("/needs/plan/revise", data={**w.form, "show": "1", "show_station": str(w.first.id),
                                                "show_week": w.monday.isoformat()})
    assert r.text.count('class="block block--proposed') == 1 and f'href="/sessions/{w.existing.id}"' not in r.text


def test_a_proposal_shows_on_the_grid_after_proposing(client, login_as, make, app):
    app.config["KTC_PLAN_TIME_LIMIT"] = 5.0
    from tests.planning.test_plan_views import _month

    w = _world(make)
    unit = make.unit(make.organisation("municipal"))
    manager = make.manager(unit)
    db.session.commit()
    login_as(manager)
    assert client.post("/needs/new", data={"unit_id": unit.id, "skill_id": w.skill.id,
                                           "month": _month(2).strftime("%Y-%m"), "people": "4"}).status_code == 302
    login_as(w.admin)
    r = client.post("/needs/plan", data={"centre_id": str(w.centre.id), "weeks": "8"})
    assert r.status_code == 200
    assert r.text.count('class="block block--proposed') == 1 and "Föreslagen" in r.text


def test_a_move_is_refused_on_a_closed_day(client, login_as, make):
    w = _world(make)
    login_as(w.admin)
    r = _move(client, w, w.form, w.monday + timedelta(days=2), 8)
    _assert_refused(r, w, "Tillfället flyttades inte: Centret är stängt")


def test_a_move_is_refused_onto_a_busy_station(client, login_as, make):
    w = _world(make)
    login_as(w.admin)
    r = _move(client, w, w.form, w.monday + timedelta(days=1), 9, station=w.second)
    _assert_refused(r, w, "Stationen är redan upptagen då")
    # The changeover counts too: 10:00 is inside the 15 minutes after the session there.
    assert _move(client, w, w.form, w.monday + timedelta(days=1), 10, station=w.second).status_code == 422


def test_a_move_is_refused_to_an_instructor_who_may_not_lead_the_skill(client, login_as, make):
    w = _world(make)
    login_as(w.admin)
    r = _move(client, w, w.form, w.monday + timedelta(days=3), 8, instructor=w.olle)
    _assert_refused(r, w, "Olle Ovan får inte leda Insulingivning")


def test_a_move_is_refused_when_the_instructor_is_away_or_outside_the_plan_or_the_hours(client, login_as, make):
    w = _world(make)
    thursday = w.monday + timedelta(days=3)
    db.session.add(InstructorAbsence(user_id=w.ingrid.id, first_day=thursday, last_day=thursday, reason="Kurs"))
    db.session.commit()
    login_as(w.admin)
    r = _move(client, w, w.form, thursday, 8)
    assert r.status_code == 422 and "Ingrid Instruktör är inte tillgänglig då" in r.text
    r = _move(client, w, w.form, w.monday + timedelta(weeks=5), 8)
    assert r.status_code == 422 and "inom planens period" in r.text
    r = _move(client, w, w.form, w.monday + timedelta(days=4), 11)
    assert r.status_code == 422 and "utanför centrets öppettider" in r.text
    r = _move(client, w, w.form, w.monday + timedelta(days=4), 25)
    assert r.status_code == 422 and "Välj en station" in r.text


def test_a_move_is_refused_when_the_instructor_is_busy_or_at_the_day_limit(client, login_as, make):
    w = _world(make)
    thursday, friday = w.monday + timedelta(days=3), w.monday + timedelta(days=4)
    third = make.station(w.centre, skills=[w.skill], name="Tredje rummet")
    make.session(third, start=local(thursday.year, thursday.month, thursday.day, 8), hours=2, instructors=[w.ingrid])
    make.session(third, start=local(friday.year, friday.month, friday.day, 8), hours=1, instructors=[w.ingrid])
    db.session.add(InstructorLimit(user_id=w.ingrid.id, max_sessions_per_day=1))
    db.session.commit()
    login_as(w.admin)
    r = _move(client, w, w.form, thursday, 9)
    assert r.status_code == 422 and "Ingrid Instruktör leder redan ett annat tillfälle" in r.text
    r = _move(client, w, w.form, friday, 10)
    assert r.status_code == 422 and "Ingrid Instruktör skulle leda fler än 1 tillfällen den dagen" in r.text


def test_a_move_is_refused_onto_another_proposed_session(client, login_as, make):
    w = _world(make)
    thursday = w.monday + timedelta(days=3)
    start = local(thursday.year, thursday.month, thursday.day, 8)
    other = f"{w.second.id}|{start.isoformat()}|{(start + timedelta(hours=2)).isoformat()}|{w.skill.id}|{w.ingrid.id}|0|3|0"
    form = {**w.form, "row-2": [other], "keep": ["1", "2"]}
    login_as(w.admin)
    # The same station then (the other proposed session is not in the database yet) …
    r = _move(client, w, form, thursday, 9, station=w.second)
    assert r.status_code == 422 and "Stationen är redan upptagen då" in r.text
    # … and the same instructor at the same time at another station.
    r = _move(client, w, form, thursday, 9)
    assert r.status_code == 422 and "Ingrid Instruktör leder redan ett annat tillfälle" in r.text
    # A proposed session the coordinator unticked does not stand in the way.
    r = _move(client, w, {**form, "keep": ["1"]}, thursday, 9)
    assert r.status_code == 200


def test_a_moved_session_is_created_where_it_was_moved(client, login_as, make):
    w = _world(make)
    login_as(w.admin)
    thursday = w.monday + timedelta(days=3)
    r = _move(client, w, w.form, thursday, 9, 30, station=w.second)
    assert r.status_code == 200
    assert "flyttades till" in r.text and "Flyttad" in r.text
    moved = proposal_form(r.text)
    # The grid now shows the week the session was moved to, with the session at its new time.
    block = r.text.split('class="block block--proposed', 1)[1].split("</a>", 1)[0]
    assert "09:30" in block
    r = client.post("/needs/plan/accept", data={**moved, "keep": ["1"]})
    assert r.status_code == 302
    session = db.session.execute(select(Session).where(Session.id != w.existing.id)).scalar_one()
    start = local(thursday.year, thursday.month, thursday.day, 9, 30)
    assert (session.station_id, session.start_at, session.end_at) == (w.second.id, start, start + timedelta(hours=2))
    assert [i.name for i in session.instructors] == ["Ingrid Instruktör"]


def test_a_dropped_session_is_gone_and_accepting_checks_every_row_again(client, login_as, make):
    w = _world(make)
    login_as(w.admin)
    r = client.post("/needs/plan/revise", data={**w.form, "drop": "1"})
    assert r.status_code == 200 and "row-1" not in proposal_form(r.text)
    # A row edited in the browser to an instructor who may not lead the skill is refused at accept,
    # and nothing is created.
    fields = w.form["row-1"][0].split("|")
    fields[4] = str(w.olle.id)
    forged = {**w.form, "row-1": ["|".join(fields)]}
    r = client.post("/needs/plan/accept", data=forged)
    assert r.status_code == 422 and "Inget skapades" in r.text
    assert db.session.execute(select(Session.id)).scalars().all() == [w.existing.id]


def test_a_tampered_proposal_is_a_bad_request_not_a_server_error(client, login_as, make):
    w = _world(make)
    login_as(w.admin)
    for changes in ({"row-x1": w.form["row-1"], "keep": ["x1"]}, {"horizon": ["0001-01-01|0001-02-01"]},
                    {"horizon": ["2027-01-01|2029-01-01"]}, {"uncovered": ["1|nonsense|0"]}):
        for url in ("/needs/plan/revise", "/needs/plan/accept"):
            assert client.post(url, data={**w.form, "show": "1", **changes}).status_code == 400, (url, changes)
    assert client.post("/needs/plan/revise", data={**w.form, "drop": "7"}).status_code == 400
    assert db.session.execute(select(Session.id)).scalars().all() == [w.existing.id]


def test_rows_checked_together_read_each_instructors_inputs_once(make):
    """Accept re-checks every posted row: the instructor's skills, availability, absences and day limit
    are read for the first of their rows, not again for each."""
    from ktc.planning import proposals

    from tests.queries import statements

    w = _world(make)
    end = w.monday + timedelta(weeks=4)
    rows = [proposals.Proposed(w.first, start, start + timedelta(hours=2), w.skill, w.ingrid, 1)
            for start in (local(*(w.monday + timedelta(days=d)).timetuple()[:3], 8) for d in (0, 3))]
    known = {}
    proposals.check_proposed(rows[0], [rows[1]], w.monday, end, known)  # also loads the station, centre …
    with statements() as alone:
        proposals.check_proposed(rows[1], [rows[0]], w.monday, end, {})
    with statements() as together:
        proposals.check_proposed(rows[1], [rows[0]], w.monday, end, known)
    assert len(alone) - len(together) == 4  # skills, availability, absences, day limit
