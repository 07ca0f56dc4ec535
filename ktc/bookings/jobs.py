"""Scheduled jobs for bookings."""
from ktc.bookings.seats import promote_released_sessions
from ktc.extensions import db


def release_held_seats(now=None):
    """When a session's held seats are released, promote the people waiting for them."""
    try:
        promoted = promote_released_sessions(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(promoted)


JOBS = [{"id": "bookings.release_held_seats", "func": release_held_seats, "trigger": "interval", "minutes": 5}]
