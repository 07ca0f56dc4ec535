"""Feedback requests, the participant's waiting list and the instructor's session reports: the
edges the first tests left open (issue 18, mutation testing of `ktc/feedback/operations.py`)."""
from datetime import timedelta

from sqlalchemy import func, select

from ktc.extensions import db
from ktc.feedback import operations
from ktc.feedback.models import Feedback, SessionReport
from ktc.feedback.operations import (
    bookings_awaiting_request,
    reportable_sessions,
    request_feedback,
    save_session_report,
    waiting_for,
)
from ktc.mail.models import OutboxMessage

SEPARATOR = "\n\n" + "-" * 40 + "\n\n"


def _reports():
    db.session.expire_all()
    return {r.session_id: r for r in db.session.execute(select(SessionReport)).scalars()}


def test_a_report_is_stored_trimmed_with_empty_fields_empty_and_its_times_and_author_kept(make):
    instructor, admin = make.user("instructor"), make.user("admin")
    session = make.completed_session(instructors=[instructor])
    first, later = make.local(2024, 3, 5, 12), make.local(2024, 3, 6, 8)

    save_session_report(instructor, session, "  Blandade grupper  ", None, "", now=first)
    report = _reports()[session.id]
    assert (report.what_worked, report.what_to_change, report.equipment_problems) == ("Blandade grupper", "", "")
    assert (report.created_at, report.updated_at, report.author_id) == (first, first, instructor.id)

    # An admin edits it: the same report, written at `later` by the admin, empty fields emptied.
    save_session_report(admin, session, None, " Längre pass ", "Trasig docka", now=later)
    reports = _reports()
    assert list(reports) == [session.id]
    report = reports[session.id]
    assert (report.what_worked, report.what_to_change, report.equipment_problems) == ("", "Längre pass", "Trasig docka")
    assert (report.created_at, report.updated_at, report.author_id) == (first, later, admin.id)


def test_editing_one_sessions_report_leaves_the_other_sessions_report_alone(make):
    instructor = make.user("instructor")
    station = make.station(skills=[make.skill()])
    monday = make.completed_session(station, start=make.local(2024, 3, 4, 9), instructors=[instructor])
    tuesday = make.completed_session(station, start=make.local(2024, 3, 5, 9), instructors=[instructor])

    save_session_report(instructor, monday, "Måndag", "", "")
    save_session_report(instructor, tuesday, "Tisdag", "", "")
    save_session_report(instructor, monday, "Måndag igen", "", "")
    save_session_report(instructor, tuesday, "Tisdag igen", "", "")

    reports = _reports()
    assert {sid: r.what_worked for sid, r in reports.items()} == {monday.id: "Måndag igen", tuesday.id: "Tisdag igen"}


def test_the_report_list_holds_the_actors_sessions_in_the_window_newest_first_with_their_reports(make):
    me, colleague, admin = make.user("instructor"), make.user("instructor"), make.user("admin")
    station = make.station(skills=[make.skill()])
    since, until = make.local(2024, 5, 1, 0), make.local(2024, 6, 1, 0)

    def mine(start, **kw):
        return make.session(station, start=start, instructors=[me], **kw)

    at_since = mine(since)  # the window's first moment is in it
    completed = make.completed_session(station, start=make.local(2024, 5, 10, 9), instructors=[me])
    latest = mine(make.local(2024, 5, 31, 21))
    mine(until)  # the window's end is not
    mine(since - timedelta(minutes=1))
    mine(make.local(2024, 5, 15, 9), status="cancelled")
    theirs = make.session(station, start=make.local(2024, 5, 12, 9), instructors=[colleague])
    report = save_session_report(me, completed, "Bra", "", "")

    def listed(actor):
        return [(s.id, r.id if r else None) for s, r in reportable_sessions(actor, since, until)]

    assert listed(me) == [(latest.id, None), (completed.id, report.id), (at_since.id, None)]
    assert listed(colleague) == [(theirs.id, None)]
    assert listed(admin) == [(latest.id, None), (theirs.id, None), (completed.id, report.id), (at_since.id, None)]


def test_only_attended_bookings_of_completed_sessions_without_a_request_await_one_lowest_id_first(make):
    session = make.completed_session()
    asked, first, second = (make.booking(session, make.participant(), status="attended") for _ in range(3))
    make.booking(session, make.participant(), status="no_show")
    make.feedback(session, asked)
    # Attendance already marked in a session not completed yet: its request waits for the completion.
    running = make.session(make.plain_station(), start=make.local(2024, 3, 5, 9))
    make.booking(running, make.participant(), status="attended")

    assert [b.id for b in bookings_awaiting_request()] == [first.id, second.id]
    assert [b.id for b in bookings_awaiting_request(limit=1)] == [first.id]


def test_a_booking_a_concurrent_run_has_asked_is_skipped_and_the_rest_are_asked(make, monkeypatch):
    session = make.completed_session()
    taken, first, second = (make.booking(session, make.participant(), status="attended") for _ in range(3))
    # The other run's row is committed after this run listed the bookings.
    listed = [taken, first, second]
    make.feedback(session, taken)
    monkeypatch.setattr(operations, "bookings_awaiting_request", lambda: listed)
    asked_at = make.local(2024, 3, 6, 7)

    created = request_feedback(now=asked_at)

    assert sorted(f.booking_id for f in created) == [first.id, second.id]
    assert {f.requested_at for f in created} == {asked_at}
    recipients = db.session.execute(select(OutboxMessage.recipient)).scalars().all()
    assert sorted(recipients) == sorted([first.participant.email, second.participant.email])
    assert db.session.execute(select(func.count(Feedback.id))).scalar_one() == 3


def test_the_request_email_is_swedish_then_english_in_one_subject_text_and_html(make):
    session = make.completed_session(make.station(name="Kateter", skills=[make.skill()]))
    booking = make.booking(session, make.participant(name="Åsa Öberg"), status="attended")

    request_feedback()

    message = db.session.execute(select(OutboxMessage)).scalar_one()
    assert message.recipient == booking.participant.email
    assert message.subject == "Hur var Kateter? / How was Kateter?"
    swedish, english = message.body_text.split(SEPARATOR)
    assert swedish.startswith("Hej Åsa Öberg!") and swedish.endswith("Vänliga hälsningar, KTC")
    assert english.startswith("Hello Åsa Öberg,") and english.endswith("Kind regards, KTC\n")
    html = message.body_html
    assert html.startswith('<!doctype html><html><body><div lang="sv">\n<p>Hej Åsa Öberg!</p>')
    assert '</div><hr><div lang="en">\n<p>Hello Åsa Öberg,</p>' in html
    assert html.endswith("</div></body></html>") and html.count("<hr>") == 1


def test_waiting_feedback_is_listed_oldest_session_first(make):
    station = make.station(skills=[make.skill()])
    me = make.participant()
    later = make.completed_session(station, start=make.local(2024, 3, 8, 9))
    earlier = make.completed_session(station, start=make.local(2024, 3, 5, 9))
    newer_row = make.feedback(later, make.booking(later, me, status="attended"))
    older_row = make.feedback(earlier, make.booking(earlier, me, status="attended"))

    assert [f.id for f in waiting_for(me.id)] == [older_row.id, newer_row.id]


def test_someone_who_attended_two_sessions_gets_a_request_for_each(make):
    station = make.station(name="Kateter", skills=[make.skill()])
    me = make.participant(name="Åsa Öberg")
    for day in (5, 8):
        session = make.completed_session(station, start=make.local(2024, 3, day, 9))
        make.booking(session, me, status="attended")

    assert len(request_feedback()) == 2

    bodies = db.session.execute(select(OutboxMessage.body_text).where(OutboxMessage.recipient == me.email)).scalars()
    assert sorted("5 mars 2024" in body for body in bodies) == [False, True]


def test_the_bookings_awaiting_a_request_come_with_what_the_email_needs_in_a_fixed_number_of_statements(make):
    from tests.queries import statements

    def count(sessions, per_session):
        for _ in range(sessions):
            session = make.completed_session(make.station(make.centre(), skills=[make.skill()]))
            for _ in range(per_session):
                make.booking(session, make.participant(), status="attended")
        db.session.expunge_all()  # nothing loaded before: every lazy load would be a statement
        with statements() as seen:
            rows = bookings_awaiting_request()
            needed = {(b.participant.name, b.session.station.name, b.session.station.centre.timezone) for b in rows}
        assert len(needed) == len(rows) == sessions * per_session + count.before
        count.before = len(rows)
        return len(seen)

    count.before = 0
    assert count(1, 1) == count(3, 3)
