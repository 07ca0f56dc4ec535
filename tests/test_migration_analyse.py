"""A migration that adds an index to a SQLite database analysed before gives the planner its figures:
SQLite takes an index without figures for a selective one, and the unit feed's query went through
every booking of one status instead of the unit's people."""
import sqlite3

from flask_migrate import downgrade, upgrade

from ktc import create_app


def _app(path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "migration-test"})


def _stats(path):
    with sqlite3.connect(path) as conn:
        return {index for (index,) in conn.execute("SELECT idx FROM sqlite_stat1 WHERE tbl IN ('bookings', 'outbox')")}


def test_new_indexes_are_analysed_in_a_database_analysed_before(tmp_path):
    path = tmp_path / "ktc.sqlite"
    app = _app(path)
    from ktc.extensions import db

    with app.app_context():
        upgrade()
        downgrade(revision="b7c3e1d2a4f5-1")
        db.engine.dispose()
    with sqlite3.connect(path) as conn:
        # Rows, so that ANALYZE writes figures for the indexes (it writes none for empty tables).
        conn.execute("INSERT INTO outbox (dedupe_key, kind, recipient, status, attempts, next_attempt_at, created_at) "
                     "VALUES ('k', 'booking_confirmed', 'a@example.org', 'pending', 0, '2026-12-01', '2026-12-01')")
        conn.execute("ANALYZE")
    assert "ix_outbox_status_next_attempt" not in _stats(path)

    with app.app_context():
        upgrade()
        db.engine.dispose()

    assert "ix_outbox_status_next_attempt" in _stats(path)


def test_a_database_never_analysed_is_left_without_figures(tmp_path):
    path = tmp_path / "ktc.sqlite"
    app = _app(path)
    from ktc.extensions import db

    with app.app_context():
        upgrade()
        db.engine.dispose()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is None


def test_running_the_migrations_in_a_process_leaves_its_loggers_working(tmp_path):
    """The bench migrates a reused dataset in its own process, as these tests do: the logging set up
    for the migrations must not disable the loggers that process already has (the scheduler's,
    the sender's)."""
    import logging

    logger = logging.getLogger("ktc.scheduler")
    app = _app(tmp_path / "ktc.sqlite")
    from ktc.extensions import db

    with app.app_context():
        upgrade()
        db.engine.dispose()

    # A disabled logger drops every record, whatever its level and handlers (a later test's
    # capture, a worker's log file): the scheduler's failing jobs went unlogged.
    assert not logger.disabled
    assert logger.isEnabledFor(logging.ERROR)
