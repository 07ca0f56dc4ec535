"""The managers' expiry digest: once per manager per period, right content, through the outbox."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ktc.extensions import db
from ktc.mail.models import OutboxMessage
from ktc.records.digest import period_key
from ktc.records.jobs import JOBS, expiry_digest

TODAY = date(2030, 3, 4)  # a Monday


def _outbox():
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


@pytest.fixture
def world(make):
    now = make.local(2030, 3, 4, 6, 30)
    cpr = make.skill(code="HLR", name="HLR vuxen", refresh_months=24)
    insulin = make.skill(code="INS", name="Insulingivning", refresh_months=12)
    usk = make.profession("Undersköterska", skills=[cpr, insulin])
    north, south, quiet = make.unit(name="Hemtjänst Norr"), make.unit(name="Vårdcentral Syd", side="regional"), \
        make.unit(name="Lugna enheten")
    expired = make.participant(north, name="Anna Utgången", profession=usk)
    expiring = make.participant(north, name="Bo Snart", profession=usk)
    fine = make.participant(north, name="Cilla Giltig", profession=usk)
    regional = make.participant(south, name="Dina Region", profession=usk)
    calm = make.participant(quiet, name="Erik Lugn", profession=usk)
    for person in (expired, expiring, fine, regional, calm):
        make.skill_record(person, insulin, valid_until=TODAY + timedelta(days=500))
    make.skill_record(expired, cpr, valid_until=TODAY - timedelta(days=1))
    make.skill_record(expiring, cpr, valid_until=TODAY + timedelta(days=60))   # edge of the window
    make.skill_record(fine, cpr, valid_until=TODAY + timedelta(days=61))
    make.skill_record(regional, cpr, valid_until=TODAY + timedelta(days=5))
    make.skill_record(calm, cpr, valid_until=None)
    station = make.station(skills=[cpr, insulin])
    open_session = make.session(station, start=make.local(2030, 3, 12, 9), skills=[cpr])
    too_soon = make.session(station, start=make.local(2030, 3, 4, 14), skills=[cpr])
    sv_manager = make.manager(north, name="Maja Chef", email="maja@example.org")
    en_manager = make.manager(south, name="Mona Manager", email="mona@example.org", locale="en")
    quiet_manager = make.manager(quiet, email="quiet@example.org")
    make.manager(email="nounits@example.org")
    db.session.commit()
    return locals()


def test_digest_content_once_per_manager_per_period(world):
    now = world["now"]
    assert expiry_digest(now=now) == 2
    messages = _outbox()
    by_recipient = {m.recipient: m for m in messages}
    assert set(by_recipient) == {"maja@example.org", "mona@example.org"}   # nothing to say: no message

    maja = by_recipient["maja@example.org"]
    assert maja.kind == "expiry_digest" and "2030-W10" in maja.dedupe_key
    assert maja.subject == "Kompetenser att förnya i dina enheter: 2"
    body = maja.body_text
    assert "Anna Utgången (Hemtjänst Norr): HLR vuxen" in body and "Bo Snart" in body
    assert "Cilla Giltig" not in body and "Dina Region" not in body and "Insulingivning" not in body
    assert body.index("Utgången") < body.index("Går snart ut")
    link = f"https://ktc.example.org/sessions/{world['open_session'].id}"
    assert link in body and f'href="{link}"' in maja.body_html
    assert f"/sessions/{world['too_soon'].id}" not in body            # inside the booking cut-off
    assert "https://ktc.example.org/records/matrix" in body

    mona = by_recipient["mona@example.org"]
    assert mona.subject == "Skills to refresh in your units: 1"
    assert "Dina Region" in mona.body_text and "Anna" not in mona.body_text
    assert "Expiring soon" in mona.body_text

    # Again the same week (the job runs daily): nothing new. Next week: one more each.
    assert expiry_digest(now=now + timedelta(days=1)) == 0
    assert expiry_digest(now=now + timedelta(days=6, hours=17)) == 0   # Sunday evening
    assert len(_outbox()) == 2
    assert expiry_digest(now=now + timedelta(days=7)) == 2
    assert len(_outbox()) == 4


def test_monthly_period(app, world):
    app.config["KTC_EXPIRY_DIGEST_PERIOD"] = "monthly"
    try:
        assert period_key(world["now"]) == "2030-03"
        assert expiry_digest(now=world["now"]) == 2
        assert expiry_digest(now=world["now"] + timedelta(days=14)) == 0
        assert expiry_digest(now=world["now"] + timedelta(days=28)) == 2
    finally:
        app.config["KTC_EXPIRY_DIGEST_PERIOD"] = "weekly"


def test_period_is_the_local_week(make):
    # Sunday 23:30 in Stockholm is still week 9 there, although 22:30 UTC.
    assert period_key(make.local(2030, 3, 3, 23, 30)) == "2030-W09"
    assert period_key(make.local(2030, 3, 4, 0, 30)) == "2030-W10"


def test_jobs_follow_the_contract():
    ids = {job["id"] for job in JOBS}
    assert ids == {"records.expiry_digest", "records.auto_complete_sessions"}
    assert all(callable(job["func"]) and job["trigger"] for job in JOBS)
