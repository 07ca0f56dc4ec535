"""Scheduled jobs: reminders, released seats, and the scheduler process that runs them."""
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from ktc.extensions import db
from ktc.mail import jobs
from ktc.scheduler import build_scheduler, collect_jobs, enabled_jobs

from tests.calendar.helpers import outbox, session as session_


def test_reminder_is_queued_once_before_the_session(make):
    session = session_(make, start=make.future(20))
    early = make.booking(session, make.participant(), confirmed_at=session.start_at - timedelta(days=10))
    late = make.booking(session, make.participant(), confirmed_at=session.start_at - timedelta(hours=20))
    db.session.commit()
    assert jobs.send_reminders(session.start_at - timedelta(hours=72)) == 0
    now = session.start_at - timedelta(hours=47)
    assert jobs.send_reminders(now) == 1
    assert jobs.send_reminders(now + timedelta(minutes=15)) == 0
    (reminder,) = outbox("reminder")
    assert reminder.recipient == early.participant.email != late.participant.email
    assert reminder.subject.startswith("Påminnelse:")


def test_released_seats_are_announced_to_managers_with_interest(make):
    skill = make.skill()
    station = make.station(skills=[skill])
    session = make.session(station, start=make.future(20), capacity=4, min_per_side=2, release_before_hours=72)
    waiting_unit = make.unit()
    waiting_manager = make.manager(waiting_unit)
    make.booking(session, make.participant(waiting_unit), status="waitlisted")
    needing_unit = make.unit(side="regional")
    needing_manager = make.manager(needing_unit)
    make.participant(needing_unit, profession=make.profession(skills=[skill]))
    make.manager(make.unit())  # no one waiting, no need
    db.session.commit()
    release = session.start_at - timedelta(hours=72)
    assert jobs.notify_seats_released(release - timedelta(minutes=5)) == 0
    assert jobs.notify_seats_released(release + timedelta(minutes=5)) == 2
    assert jobs.notify_seats_released(release + timedelta(minutes=20)) == 0
    assert sorted(m.recipient for m in outbox("seats_released")) == sorted(
        [waiting_manager.email, needing_manager.email])


def test_scheduler_registers_every_job_with_safe_defaults(app):
    ids = [job["id"] for job in collect_jobs()]
    assert {"mail.send_outbox", "mail.send_reminders", "mail.notify_seats_released", "mail.notify_seats_opened"} <= set(ids)
    scheduler = build_scheduler(app, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        registered = {job.id: job for job in scheduler.get_jobs()}
        assert set(registered) == {job["id"] for job in enabled_jobs(app)}
        for job in registered.values():
            assert job.misfire_grace_time >= 60
            assert job.coalesce is True
            assert job.max_instances == 1
    finally:
        scheduler.shutdown(wait=False)


def test_scheduler_command_runs_each_job_once(runner, make, smtp_server):
    session = session_(make, start=make.future(20))
    booking = make.booking(session, make.participant())
    from ktc.mail import notify

    notify.booking_confirmed(booking)
    db.session.commit()
    result = runner.invoke(args=["ktc", "scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "mail.send_outbox: 1" in result.output
    again = runner.invoke(args=["ktc", "scheduler", "--once"])
    assert "mail.send_outbox: 0" in again.output
    assert len(smtp_server.inbox.messages) == 1


def test_a_failing_job_is_logged_and_does_not_stop_the_scheduler(app, caplog):
    from ktc.scheduler import run_job

    def broken():
        raise RuntimeError("boom")

    assert run_job(app, "test.broken", broken) is None
    assert "job test.broken failed" in caplog.text


def test_released_seats_count_a_skill_valid_until_the_day_before_as_needed(make):
    """Validity is judged on the session's day in Stockholm: at 00:30 it is already the next day there,
    while in UTC it is still the day before."""
    skill = make.skill()
    station = make.station(skills=[skill])
    day = make.future(20).astimezone(make.STOCKHOLM).date()
    session = make.session(station, start=make.local(day.year, day.month, day.day, 0, 30), capacity=4,
                           min_per_side=2, release_before_hours=72)
    expired_unit = make.unit()
    expired_manager = make.manager(expired_unit)
    expired = make.participant(expired_unit, profession=make.profession(skills=[skill]))
    make.skill_record(expired, skill, valid_until=day - timedelta(days=1))
    valid_unit = make.unit()
    make.manager(valid_unit)
    valid = make.participant(valid_unit, profession=make.profession(skills=[skill]))
    make.skill_record(valid, skill, valid_until=day)
    db.session.commit()
    assert [m.email for m in jobs.interested_managers(session)] == [expired_manager.email]
