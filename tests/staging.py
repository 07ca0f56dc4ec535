"""Staging two writers against each other on PostgreSQL: wait until one of them waits for a lock."""
from sqlalchemy import text

from ktc.extensions import db

# A lock wait in this test's own database: other test workers share the server, not the database.
LOCK_WAITS = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND wait_event_type = 'Lock'")


def wait_for_a_lock_wait(failure, on_failure=None, done=None):
    """Return once a transaction of this database waits for a lock (or `done`, an Event, is set).

    Otherwise call `on_failure` (to release the writer that holds its lock) and fail with `failure`.
    """
    with db.engine.connect() as watcher:
        for _ in range(100_000):
            if (done is not None and done.is_set()) or watcher.execute(LOCK_WAITS).scalar_one():
                return
            watcher.rollback()
    if on_failure is not None:
        on_failure()
    raise AssertionError(failure)
