"""Which feed links a user is given, their titles and URLs, and what a new SECRET_KEY or a renewal
does to them (docs/MUTATION.md, fifth run: mutants of `_specs`, `feed_title`, `feed_url`,
`user_feeds`, `feeds_to_create`, `create_feeds` and `renew_feed`)."""
import re

import pytest

from ktc.calendar import operations
from ktc.errors import PermissionDenied
from ktc.extensions import db

from tests.calendar.helpers import created_feeds


def _listed(app, user):
    with app.test_request_context():
        return [(link.kind, link.title) for link in operations.user_feeds(user)]


def test_each_role_is_given_its_own_feeds_in_order_with_their_titles(app, make):
    make.station(name="Bröstrummet", skills=[make.skill()])
    make.station(name="Akutrummet", skills=[make.skill()])
    make.station(name="Gamla rummet", skills=[make.skill()], active=False)
    expected_staff = [("instructor", "KTC – träningstillfällen där jag är instruktör"),
                      ("station", "KTC – Akutrummet"), ("station", "KTC – Bröstrummet")]
    for role in ("instructor", "admin"):
        user = make.user(role)
        links = created_feeds(user)
        assert [(link.kind, link.title) for link in links] == expected_staff
        assert _listed(app, user) == expected_staff

    manager = make.manager(make.unit(name="Hemtjänst Öst"), make.unit(name="Akutvården"))
    titles = {link.title for link in created_feeds(manager)}
    assert titles == {"KTC – Hemtjänst Öst", "KTC – Akutvården"}

    participant = make.participant_user()
    assert [(link.kind, link.title) for link in created_feeds(participant)] == [
        ("participant", "KTC – mina träningstillfällen")]
    # A participant login without a staff record, and a manager of no unit, are given nothing.
    assert created_feeds(make.user("participant")) == []
    assert created_feeds(make.manager()) == []
    # A staff login linked to a staff record gets no participant feed (only participant logins do).
    linked = make.user("admin", participant=make.participant())
    assert "participant" not in {link.kind for link in created_feeds(linked)}


def test_the_url_has_no_double_slash_when_the_base_url_ends_with_one(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "KTC_BASE_URL", "https://ktc.example.org/")
    (link,) = created_feeds(make.participant_user())
    assert link.url.startswith("https://ktc.example.org/calendar/feed/") and link.url.endswith(".ics")
    assert link.webcal_url == "webcal://" + link.url.removeprefix("https://")


def test_a_new_secret_key_hides_the_links_until_they_are_made_again(app, make, monkeypatch):
    user = make.manager(make.unit(), make.unit())
    old = {link.feed.id: link.url for link in created_feeds(user)}
    assert operations.feeds_to_create(user) == 0
    monkeypatch.setitem(app.config, "SECRET_KEY", "another secret key for this test")
    assert operations.feeds_to_create(user) == 2
    assert _listed(app, user) == []
    new = {link.feed.id: link.url for link in created_feeds(user)}
    assert set(new) == set(old)  # the same feeds, with new links
    assert all(new[feed_id] != old[feed_id] for feed_id in old)
    assert operations.feeds_to_create(user) == 0
    assert len(_listed(app, user)) == 2
    tokens = [url.rsplit("/", 1)[1].removesuffix(".ics") for url in new.values()]
    assert all(operations.feed_state(token) is not None for token in tokens)


def test_a_missing_feed_is_counted_and_made_and_the_others_kept(app, make):
    first_unit = make.unit()
    manager = make.manager(first_unit)
    (first,) = created_feeds(manager)
    second_unit = make.unit()
    manager.units = [first_unit, second_unit]
    db.session.commit()
    assert operations.feeds_to_create(manager) == 1
    links = created_feeds(manager)
    assert [link.url for link in links if link.feed.unit_id == first_unit.id] == [first.url]
    assert operations.feeds_to_create(manager) == 0


def test_renewing_changes_the_link_and_is_refused_to_anyone_else(app, make):
    owner = make.participant_user()
    (link,) = created_feeds(owner)
    old_token = link.url.rsplit("/", 1)[1].removesuffix(".ics")
    with pytest.raises(PermissionDenied):
        operations.renew_feed(make.participant_user(), link.feed)
    feed = operations.renew_feed(owner, link.feed)
    db.session.commit()
    assert feed.renewed_at is not None
    assert operations.feed_state(old_token) is None
    new_token = operations.feed_url(feed).rsplit("/", 1)[1].removesuffix(".ics")
    assert new_token != old_token and operations.feed_state(new_token) is not None


def test_a_link_token_is_43_url_safe_characters_without_padding(app, make):
    for user in (make.participant_user(), make.manager(make.unit()), make.user("instructor")):
        for link in created_feeds(user):
            token = link.url.rsplit("/", 1)[1].removesuffix(".ics")
            assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token), token


def test_a_request_that_did_not_see_another_ones_new_feeds_uses_them(app, make, monkeypatch):
    from ktc.calendar.models import CalendarFeed

    manager = make.manager(make.unit(), make.unit(), make.unit())
    first = {link.feed.scope_key: (link.feed.id, link.url) for link in created_feeds(manager)}
    # As a request that read the user's feeds before another request created them.
    monkeypatch.setattr(operations, "_existing_feeds", lambda user: {})
    again = {link.feed.scope_key: (link.feed.id, link.url) for link in created_feeds(manager)}
    assert again == first
    assert db.session.query(CalendarFeed).count() == 3
