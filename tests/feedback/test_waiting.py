"""Feedback waiting for a participant is listed in the app and answered there, only their own."""
from ktc.extensions import db
from ktc.feedback.models import Feedback


def _setup(make):
    station = make.station(name="Kateter och sårvård")
    session = make.completed_session(station, title="Kateter våren")
    other_session = make.completed_session(station, title="Sår hösten")
    alva, bo = make.participant(name="Alva A"), make.participant(name="Bo B")
    waiting = make.feedback(session, make.booking(session, alva, status="attended"))
    answered = make.feedback(other_session, make.booking(other_session, alva, status="attended"), overall=5)
    bos = make.feedback(session, make.booking(session, bo, status="attended"))
    return make.participant_user(alva), make.participant_user(bo), waiting, answered, bos


def test_home_and_my_bookings_list_the_participants_own_waiting_feedback(client, login_as, make):
    alva, _bo, waiting, answered, bos = _setup(make)
    db.session.commit()
    login_as(alva)
    for path in ("/", "/bookings/mine"):
        text = client.get(path).get_data(as_text=True)
        assert "Utvärderingar som väntar på dig" in text
        assert f'href="/feedback/mine/{waiting.id}"' in text and "Utvärdera Kateter våren" in text
        assert f"/feedback/mine/{answered.id}" not in text and f"/feedback/mine/{bos.id}" not in text


def test_nothing_waiting_shows_no_section(client, login_as, make):
    user = make.participant_user()
    db.session.commit()
    login_as(user)
    assert "Utvärderingar som väntar" not in client.get("/").get_data(as_text=True)


def test_the_participant_answers_in_the_app_and_not_someone_elses(client, login_as, make):
    alva, _bo, waiting, answered, bos = _setup(make)
    db.session.commit()
    login_as(alva)
    assert client.get(f"/feedback/mine/{bos.id}").status_code == 404
    assert client.get("/feedback/mine/999999").status_code == 404
    page = client.get(f"/feedback/mine/{waiting.id}")
    assert page.status_code == 200 and 'name="overall"' in page.get_data(as_text=True)
    answers = {"overall": "5", "relevance": "4", "confidence_before": "2", "confidence_after": "4",
               "learned_other_side": "3", "take_back": "Samma rutin"}
    db.session.commit()
    assert client.post(f"/feedback/mine/{waiting.id}", data=answers).status_code == 200
    db.session.expire_all()
    assert db.session.get(Feedback, waiting.id).overall == 5
    assert db.session.get(Feedback, bos.id).responded_at is None
    assert f"/feedback/mine/{waiting.id}" not in client.get("/").get_data(as_text=True)
