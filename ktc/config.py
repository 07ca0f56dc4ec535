"""Configuration defaults. The environment overrides them; secrets never live here."""
import os
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting is missing or wrong: the process cannot start (the message says what to set)."""


def _bool(value, default=False):
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults for every setting; `load_config` applies the environment on top."""

    ENV_NAME = "production"
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = None  # filled from DATABASE_URL or instance/ktc.sqlite
    SQLALCHEMY_ENGINE_OPTIONS = {}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 5 * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")

    KTC_BASE_URL = "http://127.0.0.1:5000"
    KTC_MAIL_URL = None
    KTC_MAIL_FROM = "KTC <ktc@localhost>"
    KTC_MAIL_DOMAIN = None  # domain used in calendar UIDs; defaults to the base URL's host

    # Replies from people's calendars (iTIP over iMIP) are read from the organizer's mailbox:
    # `imaps://user:password@host[:port]` (`imap://` without TLS only for a server on loopback).
    # Without it no reply is read. Each message is moved from the inbox folder to the processing
    # folder (the claim), then to the processed or rejected folder; nothing is deleted.
    KTC_IMAP_URL = None
    KTC_IMAP_INBOX = "INBOX"
    KTC_IMAP_PROCESSING = "KTC-processing"
    KTC_IMAP_PROCESSED = "KTC-processed"
    KTC_IMAP_REJECTED = "KTC-rejected"
    # How long a reader holds the mailbox without progress before another process may take over.
    KTC_IMAP_LEASE_SECONDS = 600

    # Attach a copy of each invitation as invite.ics besides the inline text/calendar part. Off:
    # clients that offer the attachment for import processed the invitation twice.
    KTC_MAIL_ICS_ATTACHMENT = False

    KTC_BOOKING_CUTOFF_HOURS = 24
    KTC_REMINDER_HOURS = 48
    KTC_EXPIRY_WINDOW_DAYS = 60
    # Planning (issue 15): days the seats of an accepted plan are offered first to the units whose
    # needs they cover; sessions per instructor and day unless set per instructor; the fewest
    # people a proposed session is held for; the solver's time limit in seconds.
    KTC_PLAN_OFFER_DAYS = 7
    KTC_PLAN_MAX_SESSIONS_PER_DAY = 2
    KTC_PLAN_MIN_PEOPLE = 3
    KTC_PLAN_TIME_LIMIT = 20
    # Failed logins within the window: at most this many per account from one client address
    # (the owner elsewhere can still log in), and this many per address across all accounts.
    KTC_LOGIN_MAX_FAILURES = 10
    KTC_LOGIN_MAX_FAILURES_PER_ADDRESS = 50
    KTC_LOGIN_WINDOW_MINUTES = 15
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none;
    # 1: one TLS-terminating proxy). Without it every client has the proxy's address.
    KTC_PROXY_COUNT = 0
    KTC_RETENTION_DAYS = 365 * 3
    KTC_OUTBOX_MAX_ATTEMPTS = 8

    # argon2id parameters (RFC 9106 second recommended option: 64 MiB, t=3, p=4)
    KTC_ARGON2_TIME_COST = 3
    KTC_ARGON2_MEMORY_COST = 65536
    KTC_ARGON2_PARALLELISM = 4

    SQLITE_BUSY_TIMEOUT_MS = 30000
    SQLITE_IMMEDIATE_OUTSIDE_REQUESTS = True

    # Learning network: a new digest is not made within this many days of the previous one,
    # so a rerun or restart of the (monthly) digest job never sends a second digest.
    KTC_NETWORK_DIGEST_MIN_DAYS = 7

    # Skills (records): sessions still `scheduled` this many hours after their end are
    # completed automatically; managers' expiry digest is sent once per period ("weekly"
    # or "monthly").
    KTC_AUTO_COMPLETE_HOURS = 6
    KTC_EXPIRY_DIGEST_PERIOD = "weekly"

    # Outbox sender: first retry after this many seconds, doubling up to six hours.
    KTC_OUTBOX_BACKOFF_SECONDS = 60
    # Outbox sender: a run sends until the queue is empty, but starts no new message after this
    # many seconds (less than the job's one-minute interval, so runs do not pile up).
    KTC_OUTBOX_TIME_BUDGET_SECONDS = 50
    # Scheduler: how late (seconds) a job may still run after its planned time.
    KTC_SCHEDULER_MISFIRE_GRACE = 300

    # Claim seats with the conditional UPDATE. Only the race test's control run turns it off
    # (KTC_SEAT_GUARD=0) to show that the test catches an overbooking race.
    KTC_SEAT_GUARD = True
    # Lock the session row before changing a booking's status (see bookings.operations.hold_session).
    # Only the status race test's control run turns it off (KTC_STATUS_GUARD=0).
    KTC_STATUS_GUARD = True

    # Built calendar feeds kept per web process (bytes), by ETag: unchanged feeds are not built again.
    KTC_FEED_CACHE_BYTES = 64 * 1024 * 1024


ENV_KEYS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "KTC_MAIL_URL": "KTC_MAIL_URL",
    "KTC_MAIL_FROM": "KTC_MAIL_FROM",
    "KTC_BASE_URL": "KTC_BASE_URL",
    "KTC_MAIL_DOMAIN": "KTC_MAIL_DOMAIN",
    "KTC_IMAP_URL": "KTC_IMAP_URL",
    "KTC_IMAP_INBOX": "KTC_IMAP_INBOX",
    "KTC_IMAP_PROCESSING": "KTC_IMAP_PROCESSING",
    "KTC_IMAP_PROCESSED": "KTC_IMAP_PROCESSED",
    "KTC_IMAP_REJECTED": "KTC_IMAP_REJECTED",
}

INT_ENV_KEYS = (
    "KTC_BOOKING_CUTOFF_HOURS",
    "KTC_REMINDER_HOURS",
    "KTC_EXPIRY_WINDOW_DAYS",
    "KTC_PLAN_OFFER_DAYS",
    "KTC_PLAN_MAX_SESSIONS_PER_DAY",
    "KTC_PLAN_MIN_PEOPLE",
    "KTC_PLAN_TIME_LIMIT",
    "KTC_RETENTION_DAYS",
    "KTC_LOGIN_MAX_FAILURES",
    "KTC_LOGIN_MAX_FAILURES_PER_ADDRESS",
    "KTC_LOGIN_WINDOW_MINUTES",
    "KTC_PROXY_COUNT",
    "KTC_FEED_CACHE_BYTES",
    "KTC_OUTBOX_BACKOFF_SECONDS",
    "KTC_OUTBOX_MAX_ATTEMPTS",
    "KTC_OUTBOX_TIME_BUDGET_SECONDS",
)


def normalise_database_url(url):
    """Let `postgres://` and `postgresql://` URLs use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def load_config(app, overrides=None):
    """Fill app.config from defaults, the environment and explicit overrides."""
    app.config.from_object(Config)
    env_name = os.environ.get("KTC_ENV", "production")
    if os.environ.get("FLASK_DEBUG") == "1":
        env_name = "development"
    app.config["ENV_NAME"] = env_name
    for env_key, cfg_key in ENV_KEYS.items():
        if os.environ.get(env_key):
            app.config[cfg_key] = os.environ[env_key]
    for key in INT_ENV_KEYS:
        if os.environ.get(key):
            app.config[key] = int(os.environ[key])
    if os.environ.get("KTC_MAIL_ICS_ATTACHMENT"):
        app.config["KTC_MAIL_ICS_ATTACHMENT"] = _bool(os.environ["KTC_MAIL_ICS_ATTACHMENT"])
    for guard in ("KTC_SEAT_GUARD", "KTC_STATUS_GUARD"):
        if os.environ.get(guard):
            app.config[guard] = _bool(os.environ[guard], True)
    if overrides:
        app.config.update(overrides)
    env_name = app.config["ENV_NAME"]
    if env_name in {"development", "testing"}:
        app.config["SESSION_COOKIE_SECURE"] = _bool(os.environ.get("KTC_SECURE_COOKIES"), False)
        app.config["REMEMBER_COOKIE_SECURE"] = app.config["SESSION_COOKIE_SECURE"]
        if not app.config.get("SECRET_KEY") and env_name == "development":
            # Development only: a per-instance random key kept in instance/, never in the repo.
            app.config["SECRET_KEY"] = _instance_secret(app)
    if not app.config.get("SECRET_KEY"):
        raise ConfigError(
            "SECRET_KEY must be set in the environment (refusing to start without it); "
            "for local work set KTC_ENV=development instead"
        )

    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        uri = "sqlite:///" + str(Path(app.instance_path) / "ktc.sqlite")
    uri = normalise_database_url(uri)
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000})
    else:
        # No ping on every checkout (a round trip per request): a dead pooled connection is found
        # by its first statement, and the request is run once more (ktc.database.retry_after_lost_connection).
        options.setdefault("pool_pre_ping", False)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("KTC_MAIL_DOMAIN"):
        from urllib.parse import urlparse

        app.config["KTC_MAIL_DOMAIN"] = urlparse(app.config["KTC_BASE_URL"]).hostname or "localhost"


def _instance_secret(app):
    import secrets

    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
