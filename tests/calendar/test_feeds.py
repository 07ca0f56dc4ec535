"""Subscription feeds and .ics downloads over HTTP: tokens, conditional requests, permissions."""
from datetime import timedelta, timezone

from ktc.database import utcnow
from ktc.extensions import db

from tests.calendar.helpers import (
    caldav_roundtrip,
    make_dst_sessions,
    parse_icalendar,
    session as session_,
    station as station_,
    vobject_check,
)


def user_feeds(user):
    """The user's feed links (created if missing), as a request in the user's language would see them."""
    from flask import current_app

    from ktc.calendar.operations import create_feeds

    with current_app.test_request_context():
        return create_feeds(user)


def _feed_path(url):
    return url.split("ktc.example.org", 1)[1]


def _participant_feed(client, login_as, user):
    login_as(user)
    db.session.commit()  # the test's own session must not hold SQLite's write lock during requests
    assert client.post("/calendar/feeds").status_code == 302
    page = client.get("/calendar/")
    assert page.status_code == 200
    db.session.expire_all()
    (link,) = [link for link in user_feeds(user) if link.kind == "participant"]
    db.session.commit()
    assert link.url in page.get_data(as_text=True)
    assert link.webcal_url.startswith("webcal://ktc.example.org/calendar/feed/")
    return link


def test_participant_feed_reads_right_in_every_parser(client, login_as, make, icaljs, caldav_calendar):
    participant = make.participant()
    user = make.participant_user(participant)
    sessions = make_dst_sessions(make)
    for session, _ in sessions:
        make.booking(session, participant)
    other = session_(make, start=make.future(30))
    make.booking(other, make.participant())
    db.session.commit()
    link = _participant_feed(client, login_as, user)

    response = client.get(_feed_path(link.url))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.get_data(as_text=True)
    assert not response.data.startswith(b"\xef\xbb\xbf")
    cal = parse_icalendar(body)
    assert "METHOD" not in cal
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body
    assert "X-PUBLISHED-TTL:PT1H" in body
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) and "KTC" in str(cal["NAME"])
    assert "ATTENDEE" not in body
    expected = {f"{s.uid}@ktc.example.org": start for s, start in sessions}
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == set(expected)
    for uid, start in expected.items():
        assert events[uid].decoded("DTSTART").astimezone(timezone.utc) == start
    vobject_check(body)
    read = icaljs(body)
    assert {e["uid"]: e["start"] for e in read["events"]} == {
        uid: start.strftime("%Y-%m-%dT%H:%M:%SZ") for uid, start in expected.items()}
    caldav_roundtrip(caldav_calendar, body, expected)


def test_unchanged_feed_is_identical_and_answers_304(client, login_as, make):
    participant = make.participant()
    user = make.participant_user(participant)
    session = session_(make, start=make.future(10))
    make.booking(session, participant)
    db.session.commit()
    path = _feed_path(_participant_feed(client, login_as, user).url)

    first = client.get(path)
    second = client.get(path)
    assert first.data == second.data
    etag = first.headers["ETag"]
    assert etag and not etag.startswith("W/")
    assert first.headers["Last-Modified"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304

    session = db.session.get(type(session), session.id)
    session.start_at += timedelta(hours=1)
    session.end_at += timedelta(hours=1)
    session.sequence += 1
    session.updated_at = utcnow() + timedelta(seconds=2)
    db.session.commit()
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "SEQUENCE:1" in changed.get_data(as_text=True)


def test_renewed_token_makes_the_old_url_404(client, login_as, make):
    user = make.participant_user()
    db.session.commit()
    link = _participant_feed(client, login_as, user)
    old = _feed_path(link.url)
    assert client.get(old).status_code == 200
    feed_id = link.feed.id
    db.session.commit()
    response = client.post(f"/calendar/feeds/{feed_id}/renew")
    assert response.status_code == 302
    db.session.expire_all()
    (new,) = user_feeds(db.session.get(type(user), user.id))
    db.session.commit()
    assert _feed_path(new.url) != old
    assert client.get(old).status_code == 404
    assert client.get(_feed_path(new.url)).status_code == 200
    assert client.get("/calendar/feed/" + "A" * 43 + ".ics").status_code == 404


def test_feed_tokens_are_long_and_stored_hashed(make):
    user = make.participant_user()
    (link,) = user_feeds(user)
    token = link.url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 22  # >= 128 bits in base64url
    assert token not in (link.feed.token_hash, link.feed.nonce)
    import hashlib

    assert link.feed.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_someone_else_cannot_renew_a_feed(client, login_as, make):
    owner = make.participant_user()
    (link,) = user_feeds(owner)
    feed_id = link.feed.id
    login_as(make.participant_user())
    db.session.commit()
    assert client.post(f"/calendar/feeds/{feed_id}/renew").status_code == 404


def test_unit_feed_shows_only_the_unit_and_stops_when_the_manager_leaves(client, make):
    unit = make.unit()
    manager = make.manager(unit)
    mine = session_(make, start=make.future(10))
    theirs = session_(make, start=make.future(11))
    make.booking(mine, make.participant(unit, name="Sara Lind"))
    make.booking(theirs, make.participant(name="Utomstående Person"))
    (link,) = user_feeds(manager)
    db.session.commit()
    body = client.get(_feed_path(link.url)).get_data(as_text=True)
    assert f"{mine.uid}@" in body and f"{theirs.uid}@" not in body
    assert "Sara Lind" in body and "Utomstående" not in body
    manager = db.session.get(type(manager), manager.id)
    manager.units = []
    db.session.commit()
    assert client.get(_feed_path(link.url)).status_code == 404


def test_station_and_instructor_feeds(client, make):
    instructor = make.user("instructor")
    station = station_(make)
    taught = make.session(station, start=make.future(10), instructors=[instructor])
    elsewhere = session_(make, start=make.future(12))
    cancelled = make.session(station, start=make.future(14), status="cancelled")
    links = {(l.kind, l.feed.station_id): l for l in user_feeds(instructor)}
    db.session.commit()
    station_body = client.get(_feed_path(links[("station", station.id)].url)).get_data(as_text=True)
    assert f"{taught.uid}@" in station_body
    assert f"{elsewhere.uid}@" not in station_body and f"{cancelled.uid}@" not in station_body
    own_body = client.get(_feed_path(links[("instructor", None)].url)).get_data(as_text=True)
    assert f"{taught.uid}@" in own_body and f"{elsewhere.uid}@" not in own_body


def test_api_lists_my_calendars(client, make):
    from ktc.accounts.operations import issue_api_token

    unit = make.unit()
    manager = make.manager(unit)
    token = issue_api_token(manager, "test")
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me/calendars").status_code == 401
    # GET never creates anything; POST creates the missing feeds, and repeating it adds none.
    assert client.get("/api/v1/me/calendars", headers=auth).get_json() == {"calendars": []}
    created = client.post("/api/v1/me/calendars", headers=auth, json={})
    assert created.status_code == 200
    assert client.post("/api/v1/me/calendars", headers=auth, json={}).get_json() == created.get_json()
    response = client.get("/api/v1/me/calendars", headers=auth)
    assert response.status_code == 200
    assert response.get_json() == created.get_json()
    (item,) = response.get_json()["calendars"]
    assert item["kind"] == "unit" and item["unit_id"] == unit.id
    assert item["webcal_url"].startswith("webcal://")
    assert client.get(_feed_path(item["url"])).status_code == 200


def test_ics_downloads_check_the_object(client, login_as, make):
    participant = make.participant()
    user = make.participant_user(participant)
    session = session_(make, start=make.future(10))
    booking = make.booking(session, participant)
    stranger_booking = make.booking(session, make.participant())
    other_session = session_(make, start=make.future(12))
    outsider_manager = make.manager(make.unit())
    db.session.commit()
    login_as(user)
    response = client.get(f"/calendar/bookings/{booking.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    vobject_check(response.get_data(as_text=True))
    assert "METHOD:PUBLISH" in response.get_data(as_text=True)
    assert client.get(f"/calendar/bookings/{stranger_booking.id}.ics").status_code == 403
    assert client.get("/calendar/bookings/999999.ics").status_code == 404
    assert client.get(f"/calendar/sessions/{session.id}.ics").status_code == 200
    assert client.get(f"/calendar/sessions/{other_session.id}.ics").status_code == 403
    login_as(outsider_manager)
    assert client.get(f"/calendar/bookings/{booking.id}.ics").status_code == 403
    assert client.get(f"/calendar/sessions/{other_session.id}.ics").status_code == 200


def test_feeds_page_explains_how_to_subscribe(client, login_as, make):
    login_as(make.participant_user())
    db.session.commit()
    client.post("/calendar/feeds")
    text = client.get("/calendar/").get_data(as_text=True)
    for name in ("Outlook", "Google", "Apple", "webcal://"):
        assert name in text


def test_feeds_page_creates_links_only_on_post(client, login_as, make):
    from ktc.calendar.models import CalendarFeed

    login_as(make.manager(make.unit(), make.unit()))
    db.session.commit()
    page = client.get("/calendar/").get_data(as_text=True)
    assert "Skapa mina kalenderlänkar" in page and "/calendar/feed/" not in page
    assert db.session.query(CalendarFeed).count() == 0
    assert client.post("/calendar/feeds").status_code == 302
    assert client.post("/calendar/feeds").status_code == 302
    assert db.session.query(CalendarFeed).count() == 2
    page = client.get("/calendar/").get_data(as_text=True)
    assert page.count("webcal://ktc.example.org/calendar/feed/") == 2
    assert "Skapa mina kalenderlänkar" not in page


def test_calendar_links_are_there_on_the_first_visit_after_logging_in(client, make):
    """Logging in (a POST) makes the user's feeds, so the page has the links with no "create" step."""
    from ktc.calendar.models import CalendarFeed

    person = make.participant(name="Alva Andersson")
    make.participant_user(person, email="alva@example.se", password="correct horse battery")
    db.session.commit()
    assert client.post("/login", data={"email": "alva@example.se", "password": "correct horse battery"}
                       ).status_code == 302
    page = client.get("/calendar/").get_data(as_text=True)
    assert "Skapa mina kalenderlänkar" not in page
    assert page.count("webcal://ktc.example.org/calendar/feed/") == 1
    # A copy button for each link, shown by its script (the page works without it).
    assert 'data-copy="feed-url-' in page and ">Kopiera länken</button>" in page
    assert 'src="/static/js/copy.js"' in page
    db.session.expire_all()
    assert db.session.query(CalendarFeed).filter_by(participant_id=person.id).count() == 1
    # Logging in again creates nothing more.
    client.post("/logout")
    client.post("/login", data={"email": "alva@example.se", "password": "correct horse battery"})
    db.session.expire_all()
    assert db.session.query(CalendarFeed).count() == 1
