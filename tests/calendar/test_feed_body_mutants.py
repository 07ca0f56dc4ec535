"""Built feed bodies (docs/MUTATION.md, fifth run: mutants of `feed_body` and `render_feed`): built
once per ETag in the owner's language for the state's moment, and kept within their byte limit."""
from datetime import timedelta

import pytest

from ktc.calendar import operations
from ktc.database import utcnow

from tests.calendar.helpers import created_feeds, session as session_


@pytest.fixture(autouse=True)
def _empty_cache():
    operations.forget_built_feeds()
    yield
    operations.forget_built_feeds()


def _participant_feed(app, make, locale="sv", start=None, title=""):
    participant = make.participant()
    user = make.participant_user(participant, locale=locale)
    make.booking(session_(make, start=start or make.future(10), title=title), participant)
    (link,) = created_feeds(user)
    return link.url.rsplit("/", 1)[1].removesuffix(".ics")


def _body(token, now=None):
    return operations.feed_body(operations.feed_state(token, now))


def test_a_feed_is_built_once_per_etag_in_its_owners_language(app, make, monkeypatch):
    english = _participant_feed(app, make, locale="en")
    swedish = _participant_feed(app, make, locale="sv")
    first = _body(english)
    assert b"NAME:KTC \xe2\x80\x93 my training sessions\r\n" in first
    assert b"NAME:KTC \xe2\x80\x93 mina tr\xc3\xa4ningstillf" in _body(swedish)
    monkeypatch.setattr(operations, "feed_content", lambda *a, **k: pytest.fail("built twice"))
    assert _body(english) is first


def test_render_feed_speaks_the_owners_language(app, make):
    token = _participant_feed(app, make, locale="en")
    feed = operations.feed_state(token).feed
    assert "NAME:KTC – my training sessions\r\n" in operations.render_feed(feed)


def test_the_body_is_built_for_the_moment_of_its_state(app, make):
    # A session 100 days ahead is in the feed 200 days from now only as one 100 days past: still
    # shown; one starting tomorrow is shown now and 200 days from now is past the window.
    soon = _participant_feed(app, make, start=make.future(1))
    now = utcnow() + timedelta(days=200)
    assert b"BEGIN:VEVENT" in _body(soon)
    operations.forget_built_feeds()
    assert b"BEGIN:VEVENT" not in _body(soon, now)


def test_bodies_are_kept_within_the_byte_limit_oldest_out_first(app, make, monkeypatch):
    # Three sizes: a small body, a large one and one in between.
    tokens = [_participant_feed(app, make, title=title) for title in ("A", "B" * 60, "C" * 20)]
    sizes = []
    for token in tokens:
        sizes.append(len(_body(token)))
        operations.forget_built_feeds()
    states = [operations.feed_state(token) for token in tokens]

    # Exactly room for the first two: both are kept.
    monkeypatch.setitem(app.config, "KTC_FEED_CACHE_BYTES", sizes[0] + sizes[1])
    bodies = [operations.feed_body(state) for state in states[:2]]
    assert operations._BODY_CACHE == {states[0].etag: bodies[0], states[1].etag: bodies[1]}
    assert operations._BODY_CACHE_BYTES == sizes[0] + sizes[1]

    # A third pushes out the oldest until it fits.
    third = operations.feed_body(states[2])
    kept = dict(operations._BODY_CACHE)
    assert list(kept) == [states[1].etag, states[2].etag][-len(kept):] and kept[states[2].etag] == third
    assert states[0].etag not in kept
    assert operations._BODY_CACHE_BYTES == sum(len(body) for body in kept.values()) <= sizes[0] + sizes[1]

    # A body exactly the size of the limit is kept (alone); a larger one is served but not kept.
    operations.forget_built_feeds()
    monkeypatch.setitem(app.config, "KTC_FEED_CACHE_BYTES", sizes[0])
    assert operations.feed_body(states[0]) == bodies[0]
    assert operations._BODY_CACHE == {states[0].etag: bodies[0]} and operations._BODY_CACHE_BYTES == sizes[0]
    monkeypatch.setitem(app.config, "KTC_FEED_CACHE_BYTES", sizes[0] - 1)
    operations.forget_built_feeds()
    assert operations.feed_body(states[0]) == bodies[0]
    assert operations._BODY_CACHE == {} and operations._BODY_CACHE_BYTES == 0
