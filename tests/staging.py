"""Staging two writers against each other on PostgreSQL: wait until one of them waits for a lock."""
import threading

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


def hold_then_start(app, first, second):
    """`first` does its work and holds it uncommitted; `second` starts; `first` commits once `second`
    waits for a lock (or is done). Each is (name, callable run in an app context); returns
    {name: result or the exception's repr}."""
    did_work, second_done, may_commit = threading.Event(), threading.Event(), threading.Event()
    outcomes = {}

    def run_first():
        name, work = first
        with app.app_context():
            try:
                outcomes[name] = work()
                did_work.set()
                may_commit.wait(timeout=30)
                db.session.commit()
            except Exception as exc:  # reported by the assertions
                db.session.rollback()
                outcomes[name] = repr(exc)
            finally:
                did_work.set()
                db.session.remove()

    def run_second():
        name, work = second
        with app.app_context():
            try:
                did_work.wait(timeout=30)
                outcomes[name] = work()
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                outcomes[name] = repr(exc)
            finally:
                second_done.set()
                db.session.remove()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for t in threads:
        t.start()
    assert did_work.wait(timeout=30)
    wait_for_a_lock_wait(f"{second[0]} neither finished nor waited for {first[0]}", on_failure=may_commit.set,
                         done=second_done)
    may_commit.set()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    return outcomes
