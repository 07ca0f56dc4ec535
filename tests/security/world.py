"""A small world with one of every object, for tests that walk every route."""
from datetime import timedelta
from types import SimpleNamespace

from flask import current_app

from ktc.database import utcnow
from ktc.extensions import db

FEEDBACK_TOKEN = "feedback-token-for-route-walks-0123456789"


def build(make):
    """Admin, two units with a manager each, a past and a future session with bookings, a feed,
    an outbox message, a network digest and a feedback link. Returns ids and users."""
    from ktc.calendar.operations import create_feeds
    from ktc.mail.notify import booking_confirmed
    from ktc.network.models import NetworkDigest

    admin = make.user("admin", name="Ada Admin")
    instructor = make.user("instructor")
    unit_a = make.unit(name="Hemtjänst Norr")
    unit_b = make.unit(make.organisation(side="regional"), name="Vårdavdelning 5")
    manager_a = make.manager(unit_a)
    manager_b = make.manager(unit_b)
    person_a = make.participant(unit_a, name="Alva Andersson")
    person_b = make.participant(unit_b, name="Bo Berg")
    user_a = make.participant_user(person_a)
    user_b = make.participant_user(person_b)
    station = make.plain_station()
    past = make.session(station, start=utcnow() - timedelta(hours=1), instructors=[instructor])
    future = make.session(station, start=make.future(20), instructors=[instructor])
    booking_a = make.booking(past, person_a)
    booking_b = make.booking(past, person_b)
    future_b = make.booking(future, person_b)
    feedback = make.feedback(past, booking_a, token=FEEDBACK_TOKEN)
    with current_app.test_request_context():
        feeds = {user.id: create_feeds(user) for user in (admin, manager_a, user_a)}
        booking_confirmed(future_b)
    import json

    from ktc.network.operations import Filters, summary

    start, end = utcnow() - timedelta(days=30), utcnow()
    with current_app.test_request_context():
        content = json.dumps(summary(Filters(start=start, end=end)))
    digest = NetworkDigest(period_start=start, period_end=end, created_at=end, content_json=content)
    db.session.add(digest)
    db.session.flush()
    from ktc.mail.models import OutboxMessage

    message = db.session.query(OutboxMessage).first()
    db.session.commit()
    feed_token = feeds[user_a.id][0].url.rsplit("/", 1)[1].removesuffix(".ics")
    return SimpleNamespace(
        admin=admin, instructor=instructor, manager_a=manager_a, manager_b=manager_b, user_a=user_a, user_b=user_b,
        unit_a=unit_a, unit_b=unit_b, person_a=person_a, person_b=person_b, station=station, past=past, future=future,
        booking_a=booking_a, booking_b=booking_b, future_b=future_b, feedback=feedback, digest=digest,
        message=message, feeds=feeds, feed_token=feed_token,
        args={
            "session_id": past.id, "booking_id": booking_a.id, "participant_id": person_a.id,
            "feed_id": feeds[admin.id][0].feed.id, "message_id": message.id, "digest_id": digest.id,
            "token_id": 1, "token": FEEDBACK_TOKEN, "unit_id": unit_a.id, "station_id": station.id,
            "centre_id": station.centre_id, "skill_id": station.skills[0].id,
        },
    )


def url_for_rule(rule, args, token_for=None):
    """A concrete path for a URL rule, filling each variable from `args` (1 or "x" if unknown)."""
    values = {}
    for name in rule.arguments:
        if name == "token" and token_for is not None:
            values[name] = token_for(rule)
        elif name in args:
            values[name] = args[name]
        else:
            converter = rule._converters[name]
            values[name] = 1 if type(converter).__name__ in ("IntegerConverter", "NumberConverter") else "x"
    with current_app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def walkable(rule, method):
    return method in rule.methods and rule.endpoint != "static"
