"""Calendar feed tokens: long and random, stored only hashed, renewable, never logged."""
import base64
import logging

from flask import current_app
from sqlalchemy import select

from ktc.calendar.models import CalendarFeed
from ktc.extensions import db


def _create_links(user):
    from ktc.calendar.operations import create_feeds

    with current_app.test_request_context():
        return create_feeds(user)


def _token(link):
    return link.url.rsplit("/", 1)[1].removesuffix(".ics")


def _database_text():
    parts = []
    for table in db.metadata.sorted_tables:
        parts += [repr(tuple(row)) for row in db.session.execute(select(table)).all()]
    db.session.rollback()
    return "\n".join(parts)


def test_tokens_have_at_least_128_random_bits(make):
    links = [link for _ in range(20) for link in _create_links(make.participant_user())]
    db.session.commit()
    tokens = [_token(link) for link in links]
    assert len(set(tokens)) == len(tokens)
    for link, token in zip(links, tokens):
        assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
        # The randomness comes from the row's nonce (the token is an HMAC of it): 128 bits.
        assert len(bytes.fromhex(link.feed.nonce)) * 8 >= 128


def test_the_database_never_holds_a_token_and_renewal_kills_the_old_url(client, login_as, make, caplog):
    caplog.set_level(logging.DEBUG)
    user = make.participant_user()
    manager = make.manager(make.unit())
    db.session.commit()
    login_as(user)
    assert client.post("/calendar/feeds").status_code == 302
    (link,) = _create_links(user)
    (unit_link,) = _create_links(manager)
    db.session.commit()
    old = _token(link)
    for token in (old, _token(unit_link)):
        assert token not in _database_text()
    assert client.get(f"/calendar/feed/{old}.ics").status_code == 200

    assert client.post(f"/calendar/feeds/{link.feed.id}/renew").status_code == 302
    db.session.expire_all()
    (renewed,) = _create_links(user)
    db.session.commit()
    new = _token(renewed)
    assert new != old
    assert client.get(f"/calendar/feed/{old}.ics").status_code == 404
    assert client.get(f"/calendar/feed/{new}.ics").status_code == 200
    assert new not in _database_text()
    page = client.get("/calendar/").get_data(as_text=True)
    assert new in page and old not in page
    # Nothing the app logged along the way carries a token.
    for token in (old, new, _token(unit_link)):
        assert token not in caplog.text
