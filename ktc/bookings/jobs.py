"""Scheduled jobs for bookings."""
from ktc.bookings.seats import promote_released_sessions


def release_held_seats(now=None):
    """When a session's held seats are released, promote the people waiting for them."""
    promoted = promote_released_sessions(now)
    return len(promoted)


JOBS = [{"id": "bookings.release_held_seats", "func": release_held_seats, "trigger": "interval", "minutes": 5}]
