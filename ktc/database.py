"""Database helpers shared by every feature: UTC datetimes, SQLite setup, the unit of work, row locks."""
import logging
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache

from flask import current_app, g, has_request_context, request
from sqlalchemy import DateTime, Integer, any_, bindparam, event, func, literal, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeDecorator

from ktc.extensions import db

log = logging.getLogger(__name__)


def utcnow():
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database (SQLite stores it without offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
# Ids and counts must fit a 32-bit integer column on PostgreSQL; larger numbers are bad input.
MAX_INT = 2**31 - 1
# In `session.info`: the ids of the people whose rows this transaction has locked and re-read under
# the lock (ktc.bookings.operations); their unit cannot change until it ends (ktc.calendar.stamps).
LOCKED_PEOPLE = "ktc.locked_participants"


def configure_sqlite(engine, busy_timeout_ms, immediate_outside_requests=True):
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for every writing transaction.

    A deferred BEGIN that later writes fails at once with "database is locked" when another
    writer got there first; BEGIN IMMEDIATE takes the write lock up front and waits for it
    (busy timeout) instead. Read-only requests keep a deferred BEGIN so readers never queue.
    Outside requests (CLI, jobs) BEGIN IMMEDIATE too, unless told otherwise (the test process,
    whose own reads must not block the requests it makes).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 32 MiB of page cache per connection instead of 2: feeds, the matrix and the network view
        # read thousands of rows, and re-reading pages from the OS cost a quarter of their SQL time.
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if has_request_context():
            immediate = request.method not in READ_ONLY_METHODS
        else:
            immediate = immediate_outside_requests
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def retry_after_lost_connection(exc):
    """Run the request once more when its database connection turned out to be dead; else None.

    The pool does not ping every connection it hands out (that is a round trip per request);
    a connection that died meanwhile (the server restarted, an idle connection was cut) fails on
    its first statement instead. SQLAlchemy then marks it and every older pooled connection
    invalid, so a second try gets a fresh one. Nothing of the request reached the database (its
    transaction died with the connection), so running it again is safe as long as no COMMIT was
    started: a commit whose answer was lost may have happened, and is never repeated. Only once
    per request: a server that is really down gets its 503.
    """
    if not getattr(exc, "connection_invalidated", False) or not has_request_context():
        return None
    if g.get("_database_retried") or g.get("_database_committed"):
        return None
    g._database_retried = True
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone; the pool discards it
        pass
    app = current_app._get_current_object()
    try:
        response = app.preprocess_request()
        if response is None:
            response = app.dispatch_request()
    except Exception as again:  # noqa: BLE001 (handled as the first try's would have been)
        return app.handle_user_exception(again)
    return response


# The unit of work. KTC commits in exactly one place, `_commit` below, as Indico commits only in its
# request handler: a request (ktc.web.App.dispatch_request), a CLI command (ktc.cli) and a scheduler
# job (ktc.scheduler.run_job) each run as one transaction that is committed once when they end
# normally and rolled back on any exception. Operations, views and jobs add and flush; they never
# commit. A unit of work that keeps nothing (a read-only request, an error answer) is rolled back, or,
# on PostgreSQL when it wrote nothing, committed empty (end_unit_of_work). A check in the tests (tests/test_unit_of_work.py)
# refuses a `.commit(` anywhere else.

_ALWAYS_COMMIT = "ktc_always_commit"


@contextmanager
def unit_of_work():
    """One transaction around a CLI command or a job: commit when the block ends, roll back on any exception."""
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    end_unit_of_work(commit=True)


def end_unit_of_work(commit):
    """Commit the transaction at the end of a unit of work (a failed commit is rolled back), or end it
    keeping nothing: rolled back, or, on PostgreSQL when it wrote nothing, committed empty
    (end_if_unwritten)."""
    if not commit:
        if not end_if_unwritten():
            db.session.rollback()
        return
    try:
        _commit()
    except BaseException:
        db.session.rollback()
        raise


def always_commit():
    """Commit this request's changes whatever its method and answer (never after an exception).

    For the few requests whose writes must stay when the answer is a refusal (a failed login is
    counted and audited, a refused sign-in audited) or that write on a GET (the sign-in callback).
    """
    g.setdefault(_ALWAYS_COMMIT, True)


def commits_always():
    """Whether the current request asked for `always_commit`."""
    return bool(g.get(_ALWAYS_COMMIT))


def commit_step():
    """Commit the work done so far inside a job that deliberately commits item by item.

    Only for batches whose items must stand on their own: the sender marks each message sent as
    soon as the SMTP server accepted it, and claims a message before talking SMTP; the calendar
    replies reader commits each message before filing it away in the mailbox; the mailbox lease
    is taken and given back in transactions of their own. Everything else waits for the end of
    its unit of work.
    """
    _commit()


def _commit():
    # Noted before the COMMIT is sent, so that a lost connection is retried only before one
    # (retry_after_lost_connection). Here, at the one place KTC commits, rather than with an engine
    # "commit" listener: any engine listener makes SQLAlchemy dispatch every execution's events
    # (before and after each statement) to empty listener lists, on every statement of every request.
    if has_request_context():
        g._database_committed = True
    db.session.commit()


# Whether this transaction has written (or locked) a row: PostgreSQL gives a transaction an id only then.
_WROTE = select(func.txid_current_if_assigned())
# In `session.info`: the transaction has begun on a connection (a statement was sent).
_BEGUN = "ktc_begun"


def end_if_unwritten():
    """End a transaction that is to keep nothing with a COMMIT when it wrote nothing (PostgreSQL);
    whether it did. Otherwise the caller rolls it back (or closes the session, which does).

    At a ROLLBACK psycopg forgets every statement it has prepared on the connection and sends
    DEALLOCATE ALL (a rolled-back transaction may have dropped what they refer to). Every read-only
    request ended with one when its session was closed, and the next requests on the connection,
    bookings too, had each of their statements parsed and planned anew: a team booking's result page
    spent 0.47 ms of its 1.26 ms of PostgreSQL's CPU planning, a plan per execution
    (pg_stat_statements, bench/README.md). To PostgreSQL a transaction that wrote nothing ends the same
    committed or rolled back, and PostgreSQL itself says whether it wrote (`_WROTE`). One that wrote or
    locked a row, or whose session still holds changes or writes kept for the commit, is not committed:
    the caller rolls it back. SQLite is not asked (its driver forgets nothing at a rollback).
    """
    session = db.session()
    if not session.info.get(_BEGUN) or session.get_bind().dialect.name != "postgresql":
        return False
    if session.new or session.dirty or session.deleted or session.info.get(_AT_COMMIT):
        return False
    try:
        if first(_WROTE)[0] is not None:
            return False
        # Nothing to expire: nothing changed (expiring every object a large page loaded would cost
        # more than the rollback did).
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            _commit()
        finally:
            session.expire_on_commit = expire
    except SQLAlchemyError:  # a lost connection, say: the rollback deals with what is left
        log.debug("ending a transaction that wrote nothing failed", exc_info=True)
        return False
    return True


def _note_begun(session, _transaction, _connection):
    session.info[_BEGUN] = True


def install_read_only_end():
    """Listen on every ORM session (once): whether its transaction has begun on a connection
    (end_if_unwritten)."""
    from sqlalchemy.orm import Session as OrmSession

    if not event.contains(OrmSession, "after_begin", _note_begun):
        event.listen(OrmSession, "after_begin", _note_begun)
    forget_at_end(_BEGUN)


def among(column, ids):
    """`column IN ids` for up to thousands of ids: one array parameter on PostgreSQL, whose parser
    and planner would otherwise take a parameter per id (SQLite takes the list as it is)."""
    ids = list(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


def one_of(column, name, dialect, single=False):
    """SQL for a statement built once: `column` is one of the list bound as `name` when it runs (bind
    what `one_of_bind` gives). On PostgreSQL one array parameter (`= ANY(:name)`): the statement's
    text is the same for every list, where an expanding IN is written out again, a parameter per
    item, at every execution (and is another statement to the server for each length). SQLite takes
    the expanding IN.

    `single`: the statement for a list of exactly one item, on PostgreSQL `column = :name`. On a table
    of realistic size PostgreSQL plans `= ANY(:name)` anew at every execution: its generic plan, made
    for a list of unknown length, looks dearer than a plan made for the list at hand. Planning the
    person a booking locks took about 0.5 ms of the server's CPU each time (pg_stat_statements: one
    plan per call, 20,000 people); for one id of a unique column the generic plan is as good as any,
    and PostgreSQL keeps it."""
    if dialect == "postgresql":
        if single:
            return column == bindparam(name, type_=column.type)
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def one_of_bind(values, dialect):
    """(single, value) for a list bound to a `one_of` statement: whether the list (without repeats)
    has exactly one item, which picks the statement (`one_of(..., single)`), and what to bind to it:
    that item on PostgreSQL for the single statement, else the list, in order."""
    items = sorted(set(values))
    single = len(items) == 1
    return single, items[0] if single and dialect == "postgresql" else items


def rows(stmt, params=None, conn=None):
    """The rows of a Core statement built once (every parameter a `bindparam` or a literal of its own),
    run on the transaction's connection (`conn`, else the request's session's); each row a tuple that
    also names its columns.

    On PostgreSQL past SQLAlchemy's execution: the statement is compiled once per dialect (its SQL,
    the literals it binds, the types' bind and result processors) and then sent through the psycopg
    connection of the transaction. SQLAlchemy's per-execution work (an execution context, the
    parameters built from the statement's binds, a cursor result with its metadata) cost more than
    psycopg's own for a booking's statements: 86 of 137 µs for the session a booking reads
    (bench/README.md). What SQLAlchemy does around an execution stays: its statement events, before
    and after, are dispatched when someone listens (the tests' statement counts, bench/profile_page.py's
    timings), and an error goes through its handling, so a lost connection invalidates the pool and
    the request is retried, and a taken unique key is an IntegrityError. Elsewhere (SQLite) the
    connection's execute.
    """
    conn = conn or db.session.connection()
    if conn.dialect.name != "postgresql":
        return conn.execute(stmt, params).all()
    lean = _compiled(stmt, conn.dialect)
    values = dict(lean.literals)
    cursor = conn.connection.driver_connection.cursor(row_factory=lean.row_factory)
    try:
        if params:
            values.update(params)
            for name, process in lean.bind_processors:
                if name in params:
                    values[name] = process(params[name])
        before = conn.dispatch.before_cursor_execute
        if before:
            before(conn, cursor, lean.sql, values, None, False)
        cursor.execute(lean.sql, values)
        after = conn.dispatch.after_cursor_execute
        if after:
            after(conn, cursor, lean.sql, values, None, False)
        # Whether the statement gave rows, from the result's status: `cursor.description` would build a
        # column object per column of the result first (a sixth of the driver's time in a booking).
        result = cursor.pgresult
        found = cursor.fetchall() if result is not None and result.status == lean.rows_status else []
    except BaseException as exc:  # as SQLAlchemy's execute: a driver's error wrapped, a dead connection let go
        conn._handle_dbapi_exception(exc, lean.sql, values, cursor, None)
    finally:
        cursor.close()
    return found


def first(stmt, params=None):
    """The first row of `rows(stmt, params)`, or None."""
    found = rows(stmt, params)
    return found[0] if found else None


class _Compiled:
    __slots__ = ("sql", "literals", "bind_processors", "row_factory", "rows_status")


@lru_cache(maxsize=256)
def _compiled(stmt, dialect):
    """A statement compiled once for `rows` (statements built once hash by identity)."""
    from collections import namedtuple

    from psycopg.pq import ExecStatus  # here, not at import: a SQLite installation never loads psycopg

    compiled = stmt.compile(dialect=dialect)
    if compiled.escaped_bind_names:
        raise ValueError("a statement for `rows` names its parameters plainly")
    required = {name for name, bind in compiled.binds.items() if bind.required}
    if any(bind.required for bind in (*compiled.post_compile_params, *compiled.literal_execute_params)):
        raise ValueError("a statement for `rows` binds no list to be written out item by item")
    # The literals SQLAlchemy writes into the SQL at each execution (an aggregate's separator) written in
    # once, and the values of those it binds.
    expanded = compiled.construct_expanded_state(dict.fromkeys(required))
    lean = _Compiled()
    lean.sql = expanded.statement
    lean.bind_processors = tuple(
        (name, process) for name, bind in compiled.binds.items()
        if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
    )
    processors = dict(lean.bind_processors)
    lean.literals = {name: processors[name](value) if name in processors else value
                     for name, value in expanded.parameters.items() if name not in required}
    columns = list(stmt.exported_columns)
    row = namedtuple("Row", [c.key or f"_{i}" for i, c in enumerate(columns)], rename=True)
    processors = tuple(
        (i, process) for i, c in enumerate(columns)
        if (process := c.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
    )
    make = row._make
    if processors:
        def make(values, _new=row._make):
            values = list(values)
            for i, process in processors:
                values[i] = process(values[i])
            return _new(values)
    lean.row_factory = lambda _cursor: make
    lean.rows_status = ExecStatus.TUPLES_OK  # the status of a result with rows
    return lean


def write(stmt, params=None):
    """Run a Core INSERT or UPDATE on the transaction's connection, past the ORM session's execute.

    For the hot writes of a booking where they are not kept for the commit (an outbox event inside a
    savepoint, on SQLite): the session's execute adds its own work (autoflush, ORM events, finding the
    bind) to every statement, about as much as the round trip itself. Only for statements that need
    no pending ORM change flushed first: what they refer to is already in the database. The writes
    kept for the commit are sent first. (`rows` runs a statement built once past SQLAlchemy's execute
    altogether; it sends nothing kept.)
    """
    send_kept()
    return db.session.connection().execute(stmt, params)


def adopt_inserted(obj):
    """Make `obj`, an object of a row this transaction just wrote with a Core INSERT (every column set,
    the id included), a persistent object of the ORM session without a flush or a reload.

    It is registered with the transaction as a flushed new object is, so that a rollback (or a
    rolled-back savepoint) expunges it, instead of leaving it expired and pointing at a row that was
    never committed. The registration uses the session transaction's own record of the objects it
    inserted (`_new`); SQLAlchemy has no public call for it.
    """
    from sqlalchemy import inspect
    from sqlalchemy.orm import make_transient_to_detached

    make_transient_to_detached(obj)
    session = db.session()
    session.add(obj)
    (session.get_nested_transaction() or session.get_transaction())._new[inspect(obj)] = True
    return obj


# Writes sent with the transaction's last statement. On PostgreSQL the rows a booking writes that
# nothing in the transaction reads back (its outbox event, its audit entry) wait for the commit and
# go, with the feeds' versions (ktc.calendar.stamps), as one statement: each a data-modifying WITH
# of it. One statement instead of three per booking is two round trips fewer to the server and two
# fewer executions through SQLAlchemy, for the same rows in the same transaction.

_AT_COMMIT = "ktc_at_commit"
_LAST_WRITERS = []
# At most this many writes go in one statement; more (a large team booked at once) go in several.
_PARTS_PER_STATEMENT = 16


def write_at_commit(stmt, params):
    """Run a Core INSERT as a part of the transaction's last statement, at its commit.

    For rows that the transaction itself does not read back: in case it does, the next statement
    through the ORM session (a query, a lazy load), through `write`, or a `savepoint` sends them first;
    a Core statement on the connection does not. The statement's every parameter is a `bindparam`
    (`params` names them; no literal values given to `.values()`), and it gives every column that has
    a default itself: SQLAlchemy fills in defaults only for the outermost statement, not for a WITH.

    A rollback drops it with the rest. Inside a savepoint, and on SQLite (which takes no INSERT inside
    a WITH), it runs now, as `write` does.
    """
    session = db.session()
    if session.in_nested_transaction() or session.get_bind().dialect.name != "postgresql":
        return write(stmt, params)
    session.info.setdefault(_AT_COMMIT, []).append((stmt, params))
    return None


def last_write(writer):
    """Register `writer(session)`: called before every commit, it gives the (statement, parameters) to
    send last, or None. What write_at_commit kept goes with it, in one statement, on PostgreSQL."""
    if writer not in _LAST_WRITERS:
        _LAST_WRITERS.append(writer)


def _write_at_commit(session):
    if session.in_nested_transaction():
        # Releasing a savepoint fires before_commit too: the writes wait for the real commit.
        return
    session.flush()
    writes = session.info.pop(_AT_COMMIT, [])
    for writer in _LAST_WRITERS:
        found = writer(session)
        if found is not None:
            writes.append(found)
    if writes:  # (asking for the connection would begin a transaction where there was none)
        _send(session.connection(), writes)


def _read_your_writes(orm_execute_state):
    """Before a statement through the ORM session (a query, a lazy load, `get`): the writes kept for the
    commit go first, so that a read in the same transaction finds their rows after all."""
    send_kept(orm_execute_state.session)


def send_kept(session=None):
    """Send the writes kept for the commit now (write_at_commit): before a write that must come after
    them (`write` does), or a read of their rows."""
    session = session or db.session()
    writes = session.info.pop(_AT_COMMIT, None)
    if writes:
        _send(session.connection(), writes)


def _send(conn, writes):
    if conn.dialect.name != "postgresql":
        for stmt, params in writes:
            conn.execute(stmt, params)
        return
    # In parts of at most _PARTS_PER_STATEMENT writes, each one statement, a `SELECT 1` with the writes
    # as its data-modifying WITHs. PostgreSQL runs a WITH nobody reads after the statement itself, the
    # last one listed first (ExecPostprocessPlan): so they are listed in reverse, and the rows of one
    # table get their ids in the order they were written (a team's audit entries, say). At the commit
    # the last writer's statement (the feeds' versions) is in the last part.
    while writes:
        parts, writes = writes[:_PARTS_PER_STATEMENT], writes[_PARTS_PER_STATEMENT:]
        if len(parts) == 1:
            rows(*parts[0], conn=conn)
        else:
            rows(_combined(tuple(stmt for stmt, _params in parts)), _combined_params(parts), conn=conn)


def _combined_params(parts):
    values = {}
    for i, (_stmt, params) in enumerate(parts):
        values.update((f"w{i}_{name}", value) for name, value in params.items())
    return values


@lru_cache(maxsize=256)
def _combined(stmts):
    """One statement for these: `SELECT 1` with each as a data-modifying WITH, its parameters renamed
    `w<i>_<name>` (an anonymous literal's keep their values). Built once per list of statements (they
    are each built once; a statement hashes and compares by identity)."""
    from sqlalchemy.sql import visitors
    from sqlalchemy.sql.elements import BindParameter

    def renamed(stmt, prefix):
        def rename(element):
            if isinstance(element, BindParameter) and not element.unique:  # an anonymous literal keeps its value
                return bindparam(prefix + element.key, type_=element.type)
            return None
        return visitors.replacement_traverse(stmt, {}, rename)

    withs = [renamed(stmt, f"w{i}_").cte(f"w{i}") for i, stmt in enumerate(stmts)]
    return select(literal(1)).add_cte(*reversed(withs))


def forget_at_end(key):
    """Listen on every ORM session (once per key): when a whole transaction ends, committed or rolled
    back, `session.info[key]` goes with it. A savepoint's end does not count: what a rolled-back
    savepoint left in it stays for the transaction around it."""
    from sqlalchemy.orm import Session as OrmSession

    def forget(session, transaction):
        if transaction.parent is None:
            session.info.pop(key, None)

    if key not in _FORGOTTEN_AT_END:
        _FORGOTTEN_AT_END.add(key)
        event.listen(OrmSession, "after_transaction_end", forget)


_FORGOTTEN_AT_END = set()


def install_last_writes():
    """Listen on every ORM session (once): the writes kept for the commit, and the last writers'."""
    from sqlalchemy.orm import Session as OrmSession

    if not event.contains(OrmSession, "before_commit", _write_at_commit):
        event.listen(OrmSession, "before_commit", _write_at_commit)
        event.listen(OrmSession, "do_orm_execute", _read_your_writes)
    forget_at_end(_AT_COMMIT)


@contextmanager
def savepoint():
    """A SAVEPOINT for the block (`Session.begin_nested`), after the writes kept for the commit are sent:
    rolling the savepoint back must not take them with it. Use it, not begin_nested, in KTC's code."""
    send_kept()
    with db.session.begin_nested() as nested:
        yield nested
