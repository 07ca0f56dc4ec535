"""The periodic digest: exactly the period since the last one, stored, sent once."""
import json
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ktc.mail.models import OutboxMessage
from ktc.network.jobs import JOBS, send_network_digest
from ktc.network.models import NetworkDigest
from tests.network import scenario

APRIL = datetime(2024, 4, 1, 4, 0, tzinfo=timezone.utc)


def _messages(db):
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "network_digest").order_by(OutboxMessage.id)
    ).scalars().all()


def test_job_is_monthly():
    (job,) = JOBS
    assert job["trigger"] == "cron" and job["day"] == 1 and job["func"] is send_network_digest


def test_first_digest_covers_from_the_first_feedback_and_is_sent_once(db, make):
    built = scenario.build()
    members = [make.user("network"), make.user("network", locale="en")]
    make.user("network", active=False)
    make.user("admin")
    db.session.commit()

    digest = send_network_digest(now=APRIL)
    assert digest.period_start == built["sessions"][0].start_at  # the first session with feedback
    assert digest.period_end == APRIL
    # A rerun (or a restart of the scheduler) makes and sends nothing more.
    assert send_network_digest(now=APRIL + timedelta(hours=1)) is None
    assert send_network_digest(now=APRIL) is None

    db.session.expire_all()
    assert db.session.execute(select(NetworkDigest)).scalars().all() == [digest]
    messages = _messages(db)
    assert sorted(m.recipient for m in messages) == sorted(u.email for u in members)
    swedish = next(m for m in messages if m.recipient == members[0].email)
    english = next(m for m in messages if m.recipient == members[1].email)
    assert "Genomförda träningstillfällen: 3" in swedish.body_text
    assert "Sessions held: 3" in english.body_text
    assert f"https://ktc.example.org/network/digests/{digest.id}" in swedish.body_text


def test_next_digest_covers_exactly_the_period_since_the_last(db, make):
    scenario.build()
    make.user("network")
    db.session.commit()
    first = send_network_digest(now=APRIL)

    # A session in April, after the first digest's end, belongs to the second digest only.
    station = make.plain_station(name="HLR")
    april_session = make.completed_session(station, start=make.local(2024, 4, 10, 9))
    scenario.attended(april_session, "regional")
    db.session.commit()

    may = datetime(2024, 5, 1, 4, 0, tzinfo=timezone.utc)
    second = send_network_digest(now=may)
    assert (second.period_start, second.period_end) == (first.period_end, may)
    first_content = json.loads(first.content_json)
    second_content = json.loads(second.content_json)
    assert first_content["totals"]["sessions"] == 3
    assert second_content["totals"]["sessions"] == 1
    assert [r["label"] for r in second_content["by_station"]] == [f"HLR ({station.centre.name})"]
    assert len(_messages(db)) == 2


def test_digest_never_shows_small_groups(client, db, make, login_as):
    scenario.build()
    member = make.user("network")
    db.session.commit()
    digest = send_network_digest(now=APRIL)
    digest_id = digest.id
    (message,) = _messages(db)
    for text in (digest.content_json, message.body_text, message.body_html):
        assert "1.75" not in text and "1,75" not in text
        assert "Hemligt svar" not in text
    assert "färre än 5 svar" in message.body_text

    login_as(member)
    db.session.commit()
    page = client.get(f"/network/digests/{digest_id}")
    assert page.status_code == 200
    assert "1,75" not in page.get_data(as_text=True)
    assert "4,40" in page.get_data(as_text=True)
    assert f"/network/digests/{digest_id}" in client.get("/network/digests").get_data(as_text=True)


def test_no_feedback_no_digest(db, make):
    make.user("network")
    db.session.commit()
    assert send_network_digest(now=APRIL) is None
    assert _messages(db) == []
