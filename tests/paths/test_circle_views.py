"""Study circle screens: an admin forms a mixed circle, the facilitator plans and records a meeting."""
from datetime import timedelta

from sqlalchemy import select

from ktc.extensions import db
from ktc.i18n import local_today
from ktc.mail.models import OutboxMessage
from ktc.paths import circles
from ktc.paths import operations as ops
from ktc.paths.models import CircleMeeting, StepCompletion, StudyCircle


def _world(make):
    path = ops.create_path("Psyk E-bas")
    film = ops.add_step(path, "module", title="Föreläsning 1", url="https://example.org/1", due_days=30)
    kommun = make.unit(make.organisation("municipal"), name="Boendestöd")
    region = make.unit(make.organisation("regional"), name="Psykiatrimottagningen")
    anna = make.participant(kommun, name="Anna Kommun", email="anna@example.org")
    rolf = make.participant(region, name="Rolf Region", email="rolf@example.org")
    facilitator = make.user("instructor", name="Frida Handledare")
    return path, film, anna, rolf, facilitator


def test_admin_forms_a_circle_by_e_mail_addresses(client, login_as, make):
    path, _film, anna, rolf, facilitator = _world(make)
    login_as(make.user("admin"))
    db.session.commit()
    response = client.post("/paths/circles/new", data={
        "name": "Psyk E-bas Gislaved", "path_id": path.id, "facilitator_id": facilitator.id,
        "add_emails": "anna@example.org\nROLF@example.org"})
    assert response.status_code == 302
    circle = db.session.query(StudyCircle).one()
    assert sorted(m.name for m in circle.members) == ["Anna Kommun", "Rolf Region"]
    page = client.get(f"/paths/circles/{circle.id}").get_data(as_text=True)
    assert "1 från kommuner, 1 från regionen" in page
    unknown = client.post(f"/paths/circles/{circle.id}/edit", data={
        "name": circle.name, "facilitator_id": facilitator.id, "add_emails": "ingen@example.org"})
    assert unknown.status_code == 422 and "ingen@example.org" in unknown.get_data(as_text=True)


def test_facilitator_plans_a_meeting_records_it_and_the_member_sees_progress(client, login_as, make):
    path, film, anna, rolf, facilitator = _world(make)
    circle = circles.create_circle("Psyk E-bas Gislaved", path, facilitator, [anna, rolf])
    anna_user = make.participant_user(anna)
    db.session.commit()
    login_as(facilitator)
    day = local_today() + timedelta(days=7)
    response = client.post(f"/paths/circles/{circle.id}/meetings/new", data={
        "day": day.isoformat(), "start": "13:00", "end": "15:00", "location": "Vårdcentralen, konferensrummet",
        "topic": "Föreläsning 1", "step_ids": [film.id]})
    assert response.status_code == 302
    assert db.session.execute(select(OutboxMessage.recipient).where(
        OutboxMessage.kind == "circle_meeting_invited").order_by(OutboxMessage.recipient)).scalars().all() == [
        "anna@example.org", "rolf@example.org"]
    meeting = db.session.query(CircleMeeting).one()
    # Held now: move it into the past, then tick Anna present with the film done.
    meeting.start_at -= timedelta(days=8)
    meeting.end_at -= timedelta(days=8)
    db.session.commit()
    saved = client.post(f"/paths/meetings/{meeting.id}/roster", data={"attended": [anna.id],
                                                                     "done": [f"{anna.id}:{film.id}"]})
    assert saved.status_code == 302
    assert db.session.query(StepCompletion).count() == 1
    login_as(anna_user)
    mine = client.get("/paths/mine").get_data(as_text=True)
    assert "Psyk E-bas" in mine and "1 av 1 steg klara" in mine
    ics = client.get(f"/paths/meetings/{meeting.id}.ics")
    assert ics.status_code == 200 and b"LOCATION:V" in ics.data


def test_an_end_before_the_start_is_shown_on_the_form(client, login_as, make):
    path, _film, anna, _rolf, facilitator = _world(make)
    circle = circles.create_circle("Cirkel", path, facilitator, [anna])
    db.session.commit()
    login_as(facilitator)
    response = client.post(f"/paths/circles/{circle.id}/meetings/new", data={
        "day": (local_today() + timedelta(days=3)).isoformat(), "start": "15:00", "end": "13:00",
        "location": "Här"})
    assert response.status_code == 422
    assert db.session.query(CircleMeeting).count() == 0


def test_the_circle_list_takes_as_many_statements_for_six_circles_as_for_two(client, login_as, make):
    from sqlalchemy import event

    path, _film, anna, rolf, _facilitator = _world(make)
    login_as(make.user("admin"))

    def statements_for_list(count):
        for i in range(count):
            circle = circles.create_circle(f"Cirkel {count}-{i}", path, make.user("instructor"), [anna, rolf])
            circles.plan_meeting(circle.facilitator, circle, make.future(5),
                                 make.future(5) + timedelta(hours=2), "Här")
        db.session.commit()
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            page = client.get("/paths/circles/")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert page.status_code == 200 and f"Cirkel {count}-{count - 1}" in page.get_data(as_text=True)
        return len(seen)

    assert statements_for_list(2) == statements_for_list(4)
