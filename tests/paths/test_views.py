"""Learning path screens: define a path, assign a team, follow progress, print a certificate."""
import io
from datetime import date, timedelta

from ktc.extensions import db
from ktc.i18n import local_today
from ktc.paths import operations as ops
from ktc.paths.models import LearningPath, PathAssignment, PathStep, StepCompletion


def test_admin_defines_a_path_with_three_kinds_of_steps(client, login_as, make):
    make.skill(code="HLR-V", name="HLR vuxen")
    skill_id = make.skill(code="KAT-01", name="Kateterisering").id
    login_as(make.user("admin"))
    db.session.commit()
    response = client.post("/paths/new", data={"name": "Undersköterska, hemtjänst – första året", "active": "y",
                                               "unit_kind": "hemtjänst", "profession_id": ""})
    assert response.status_code == 302
    path_id = db.session.query(LearningPath).one().id
    assert client.post(f"/paths/{path_id}/steps/new", data={"kind": "skill", "skill_id": skill_id,
                                                            "due_days": 90}).status_code == 302
    assert client.post(f"/paths/{path_id}/steps/new", data={
        "kind": "module", "title": "Föreläsning 1", "url": "https://example.org/psyk-e-bas/1",
        "material": "Faktablad 1", "due_days": 30}).status_code == 302
    film = db.session.query(PathStep).filter_by(title="Föreläsning 1").one().id
    assert client.post(f"/paths/{path_id}/steps/new", data={
        "kind": "circle", "title": "Studiecirkel träff 1", "due_days": 45,
        "prerequisite_ids": [film]}).status_code == 302
    page = client.get(f"/paths/{path_id}").get_data(as_text=True)
    assert page.index("Kateterisering") < page.index("Föreläsning 1") < page.index("Studiecirkel träff 1")


def test_bad_steps_are_refused_with_a_clear_message(client, login_as, make):
    login_as(make.user("admin"))
    path = ops.create_path("Psyk E-bas")
    first = ops.add_step(path, "module", title="Film 1", url="https://example.org/1", due_days=10)
    second = ops.add_step(path, "module", title="Film 2", url="https://example.org/2", due_days=10,
                          prerequisite_ids=[first.id])
    db.session.commit()
    zero = client.post(f"/paths/{path.id}/steps/new", data={"kind": "module", "title": "Film 3",
                                                            "url": "https://example.org/3", "due_days": 0})
    assert zero.status_code == 422
    assert "Ange inom hur många dagar steget ska vara klart, minst 1." in zero.get_data(as_text=True)
    cycle = client.post(f"/paths/steps/{first.id}/edit", data={
        "kind": "module", "title": "Film 1", "url": "https://example.org/1", "due_days": 10,
        "prerequisite_ids": [second.id]})
    assert cycle.status_code == 422
    assert "gå runt i en cirkel" in cycle.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(PathStep, first.id).prerequisites == []


def _team(make):
    unit = make.unit(name="Hemtjänst Norra")
    other = make.unit(name="Hemtjänst Syd")
    path = ops.create_path("Psyk E-bas")
    step = ops.add_step(path, "module", title="Föreläsning 1", url="https://example.org/1", due_days=30)
    return unit, other, path, step


def test_manager_assigns_their_staff_and_sees_who_is_behind(client, login_as, make):
    unit, other, path, step = _team(make)
    anna, bo = make.participant(unit, name="Anna Ek"), make.participant(unit, name="Bo Al")
    stranger = make.participant(other, name="Stina Annan")
    manager = make.manager(unit)
    db.session.commit()
    login_as(manager)
    started = local_today() - timedelta(days=40)
    response = client.post(f"/paths/assign?unit_id={unit.id}", data={
        "path_id": path.id, "start_date": started.isoformat(), "participant_ids": [anna.id, stranger.id]})
    assert response.status_code == 302
    assert [a.participant_id for a in db.session.query(PathAssignment)] == [anna.id]  # not someone else's
    ops.assign(None, path, [bo], local_today())
    db.session.commit()
    page = client.get("/paths/team").get_data(as_text=True)
    assert page.index("Anna Ek") < page.index("Bo Al")  # Anna is late with the module, so she comes first
    assert "Försenat" in page
    assert client.get(f"/paths/assign?unit_id={other.id}").status_code == 200
    assert "Stina Annan" not in client.get(f"/paths/assign?unit_id={other.id}").get_data(as_text=True)


def test_participant_marks_a_module_done_and_prints_the_certificate(client, login_as, make):
    unit, _other, path, step = _team(make)
    person = make.participant(unit, name="Anna Ek")
    ops.assign(None, path, [person], date(2026, 1, 5))
    user = make.participant_user(person)
    db.session.commit()
    login_as(user)
    assignment = db.session.query(PathAssignment).one()
    assert "Markera som klart" in client.get("/paths/mine").get_data(as_text=True)
    assert client.get(f"/paths/assignments/{assignment.id}/certificate").status_code == 404
    assert client.post(f"/paths/assignments/{assignment.id}/steps/{step.id}/done").status_code == 302
    assert db.session.query(StepCompletion).count() == 1
    # A participant cannot undo it, nor take themself off the path.
    assert client.post(f"/paths/assignments/{assignment.id}/steps/{step.id}/undo").status_code == 403
    certificate = client.get(f"/paths/assignments/{assignment.id}/certificate")
    assert certificate.status_code == 200
    assert "Anna Ek" in certificate.get_data(as_text=True) and "Psyk E-bas" in certificate.get_data(as_text=True)


def test_participant_cannot_mark_a_circle_meeting_done(client, login_as, make):
    unit, _other, path, _step = _team(make)
    circle = ops.add_step(path, "circle", title="Träff 1", due_days=30)
    person = make.participant(unit)
    ops.assign(None, path, [person], date(2026, 1, 5))
    user = make.participant_user(person)
    db.session.commit()
    login_as(user)
    assignment = db.session.query(PathAssignment).one()
    assert client.post(f"/paths/assignments/{assignment.id}/steps/{circle.id}/done").status_code == 403
    assert db.session.query(StepCompletion).count() == 0


def test_csv_import_previews_every_row_and_imports_nothing_with_an_error(client, login_as, make):
    unit, _other, path, _step = _team(make)
    make.participant(unit, email="anna@example.org")
    manager = make.manager(unit)
    db.session.commit()
    login_as(manager)
    text = "e-post;lärväg;startdatum\nanna@example.org;Psyk E-bas;2026-09-01\nanna@example.org;Ingen sådan;\n"
    upload = client.post("/paths/assign/import", data={"file": (io.BytesIO(text.encode()), "larvagar.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 302
    preview = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert "Okänd lärväg ”Ingen sådan”." in preview
    assert client.post(upload.headers["Location"]).status_code == 422
    assert db.session.query(PathAssignment).count() == 0
