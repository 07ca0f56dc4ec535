"""The instructor's session report: written by the session's instructors and admins only."""
from sqlalchemy import select

from ktc.feedback.models import SessionReport


def _report(**kw):
    data = {"what_worked": "Blandade grupper", "what_to_change": "Längre pass", "equipment_problems": "Trasig docka"}
    data.update(kw)
    return data


def test_instructor_writes_and_edits_the_report(client, db, make, login_as):
    instructor = make.user("instructor")
    session = make.completed_session(instructors=[instructor], start=make.future(-3))
    url = f"/feedback/sessions/{session.id}/report"
    login_as(instructor)
    db.session.commit()

    assert client.get(url).status_code == 200
    assert client.post(url, data=_report()).status_code == 302
    assert client.post(url, data=_report(equipment_problems="Ingen")).status_code == 302

    db.session.expire_all()
    report = db.session.execute(select(SessionReport)).scalar_one()
    assert (report.what_worked, report.equipment_problems, report.author_id) == ("Blandade grupper", "Ingen", instructor.id)
    listing = client.get("/feedback/reports").get_data(as_text=True)
    assert url in listing


def test_other_instructors_and_roles_may_not_write_it(client, db, make, login_as):
    session = make.completed_session(instructors=[make.user("instructor")])
    others = [make.user("instructor"), make.user("manager"), make.user("network"), make.participant_user()]
    admin = make.user("admin")
    url = f"/feedback/sessions/{session.id}/report"
    db.session.commit()
    for user in others:
        login_as(user)
        db.session.commit()  # end the read transaction that loading the user started (SQLite locks)
        assert client.get(url).status_code == 403
        assert client.post(url, data=_report()).status_code == 403
    login_as(admin)
    db.session.commit()
    assert client.post(url, data=_report()).status_code == 302
    assert client.get("/feedback/sessions/999999/report").status_code == 404
    db.session.expire_all()
    assert db.session.execute(select(SessionReport.author_id)).scalar_one() == admin.id


def test_report_reaches_the_network_without_names(db, make):
    from datetime import date

    from ktc.feedback.operations import save_session_report
    from ktc.network.operations import make_filters, summary

    instructor = make.user("instructor")
    session = make.completed_session(instructors=[instructor], start=make.local(2024, 5, 6, 9))
    make.booking(session, make.participant(name="Pelle Ek"), status="attended")
    save_session_report(instructor, session, "Pelle Ek hjälpte till", "", "Saknade handskar")
    reports = summary(make_filters(date(2024, 5, 1), date(2024, 5, 31)))["reports"]
    assert reports == [{"date": "2024-05-06", "station": reports[0]["station"], "what_worked": "[…] hjälpte till",
                        "what_to_change": "", "equipment_problems": "Saknade handskar"}]


def test_report_on_a_cancelled_session_is_refused_on_the_form(client, db, make, login_as):
    instructor = make.user("instructor")
    session = make.completed_session(instructors=[instructor], start=make.future(-3))
    session.status = "cancelled"
    url = f"/feedback/sessions/{session.id}/report"
    login_as(instructor)
    db.session.commit()

    response = client.post(url, data=_report())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Träningstillfället är inställt; det finns inget att rapportera." in page
    assert "Blandade grupper" in page  # what was typed is kept
    db.session.expire_all()
    assert db.session.execute(select(SessionReport)).first() is None
