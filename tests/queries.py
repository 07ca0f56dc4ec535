"""Counting the SQL statements a block sends (for the 'no query per row' tests)."""
from contextlib import contextmanager

from sqlalchemy import event

from ktc.extensions import db


@contextmanager
def statements():
    """A list that gets one entry per statement sent while the block runs."""
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
