"""Feedback requests after a completed session: one per attendee, once, with a working link."""
import hashlib
import re

from sqlalchemy import select

from ktc.feedback.jobs import send_feedback_requests
from ktc.feedback.models import Feedback
from ktc.mail.models import OutboxMessage

LINK = re.compile(r"https://ktc\.example\.org/feedback/([A-Za-z0-9_-]+)")


def _completed_with_attendees(make):
    session = make.completed_session()
    attended = [
        make.booking(session, make.participant(side="municipal", name="Åsa Öberg"), status="attended"),
        make.booking(session, make.participant(side="regional"), status="attended"),
    ]
    make.booking(session, make.participant(), status="no_show")
    scheduled = make.session(make.plain_station())
    make.booking(scheduled, make.participant(), status="confirmed")
    return session, attended


def test_job_requests_feedback_from_attendees_only_and_only_once(db, make):
    session, attended = _completed_with_attendees(make)
    db.session.commit()

    assert send_feedback_requests() == 2
    assert send_feedback_requests() == 0

    rows = db.session.execute(select(Feedback)).scalars().all()
    assert sorted(f.booking_id for f in rows) == sorted(b.id for b in attended)
    assert {f.side for f in rows} == {"municipal", "regional"}
    messages = db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == "feedback_request")).scalars().all()
    assert sorted(m.recipient for m in messages) == sorted(b.participant.email for b in attended)


def test_link_in_email_is_random_and_only_its_hash_is_stored(db, make):
    session, attended = _completed_with_attendees(make)
    db.session.commit()
    send_feedback_requests()

    message = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.recipient == attended[0].participant.email)
    ).scalar_one()
    token = LINK.search(message.body_text).group(1)
    assert len(token) >= 22  # at least 128 bits in URL-safe base64
    row = db.session.execute(select(Feedback).where(Feedback.booking_id == attended[0].id)).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    # Swedish first, English after, and the HTML part links to the same form.
    assert "Hej Åsa Öberg" in message.body_text and "Hello Åsa Öberg" in message.body_text
    assert f'href="https://ktc.example.org/feedback/{token}"' in message.body_html


def test_link_works_once(client, db, make):
    session, attended = _completed_with_attendees(make)
    db.session.commit()
    send_feedback_requests()
    message = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.recipient == attended[0].participant.email)
    ).scalar_one()
    url = "/feedback/" + LINK.search(message.body_text).group(1)
    db.session.commit()  # end the test's read transaction before the requests write

    page = client.get(url)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    answers = {"overall": "5", "relevance": "4", "confidence_before": "2", "confidence_after": "4",
               "learned_other_side": "5", "take_back": "Bra rutiner", "improve": "Mer tid"}
    assert client.post(url, data=answers).status_code == 200

    second = client.post(url, data={**answers, "overall": "1", "improve": "Ändrat"})
    assert second.status_code == 409
    assert client.get(url).status_code == 200
    assert "besvarad" in client.get(url).get_data(as_text=True)

    db.session.expire_all()
    row = db.session.execute(select(Feedback).where(Feedback.booking_id == attended[0].id)).scalar_one()
    assert (row.overall, row.confidence_before, row.confidence_after, row.improve) == (5, 2, 4, "Mer tid")
    assert row.responded_at is not None


def test_invalid_token_is_404(client, db, make):
    session = make.completed_session()
    make.feedback(session, token="the-real-token")
    db.session.commit()
    assert client.get("/feedback/not-a-token").status_code == 404
    assert client.post("/feedback/not-a-token", data={"overall": "5"}).status_code == 404
    assert client.get("/feedback/the-real-token").status_code == 200


def test_form_is_accessible_bilingual_and_validated(client, db, make):
    session = make.completed_session()
    make.feedback(session, token="tok")
    db.session.commit()

    page = client.get("/feedback/tok").get_data(as_text=True)
    assert page.count("<fieldset") == 5 and page.count("<legend>") == 5
    assert page.count('type="radio"') == 25
    assert 'name="viewport"' in page
    assert "Hur värdefullt" in page
    english = client.get("/feedback/tok", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "How valuable was the session for you overall?" in english
    assert "other side (municipality or region)" in english

    response = client.post("/feedback/tok", data={"overall": "9"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in body and "error-summary" in body
    db.session.expire_all()
    assert db.session.execute(select(Feedback.responded_at)).scalar_one() is None
