"""Locale selection and the formatting helpers templates use (dates in the centre's zone)."""
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_time as _format_time
from babel.numbers import format_decimal
from flask import current_app, g, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import _get_current_context, get_locale, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

# Dates and times far out (years 1 or 9999) overflow as soon as they are moved to another time zone or a
# day is added; nothing in KTC is planned or recorded outside these years (pages and API alike).
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)


def in_years(value):
    """Whether the date or datetime lies between EARLIEST and LATEST."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def parse_day(value, default=None):
    """A day from a page's query (`2026-12-01`), or `default` when it is missing, malformed or outside
    the years KTC holds."""
    try:
        day = date.fromisoformat(value) if value else None
    except ValueError:
        return default
    return day if day is not None and in_years(day) else default


PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_TZ = "Europe/Stockholm"


def translation_directories():
    """Each feature keeps its own catalogue under ktc/<feature>/translations; Flask-Babel merges them."""
    dirs = [str(PACKAGE_DIR / "translations")]
    dirs += sorted(str(p) for p in PACKAGE_DIR.glob("*/translations") if p.is_dir())
    return ";".join(dirs)


def select_locale():
    """The signed-in user's language, else the one chosen in this browser, else Accept-Language.

    Never loads the user nor reads its columns: an error page must be translatable when the
    database is down. The user's language is the one `remember_user_locale` noted when the user
    was loaded, and it is kept in the session cookie too, so later requests whose user cannot be
    loaded still speak it.
    """
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return _locale_of(default)
    if g.get("user_locale") in languages:
        return _locale_of(g.user_locale)
    chosen = session.get("lang")
    if chosen in languages:
        return _locale_of(chosen)
    return _locale_of(_accepted(request.headers.get("Accept-Language", ""), tuple(languages)) or default)


# A browser sends the same Accept-Language with every request, and a few browsers make most of them:
# each header is matched against the interface's languages once per process.
@lru_cache(maxsize=256)
def _accepted(header, languages):
    return parse_accept_header(header, LanguageAccept).best_match(languages)


@lru_cache(maxsize=16)
def _locale_of(name):
    """The Babel locale of one of the interface's languages, parsed once (Flask-Babel takes it as it is)."""
    return Locale.parse(name)


def remember_user_locale(user, in_session=True):
    """Note the loaded user's language for this request, and (`in_session`) in the session cookie
    for the next ones; API requests, which carry no session, pass False."""
    locale = user.locale if user is not None else None
    if locale in current_app.config["LANGUAGES"]:
        g.user_locale = locale
        if in_session and session.get("lang") != locale:
            session["lang"] = locale
    return user


def known_locale(locale):
    """The locale if the interface has it, else the default (Swedish): for e-mails to a recipient."""
    languages = current_app.config["LANGUAGES"]
    return locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def local_today(tz=None):
    """Today's date where the centre is (the server's clock may run on UTC)."""
    return datetime.now(ZoneInfo(tz or DEFAULT_TZ)).date()


def to_local(value, tz=None):
    """An aware datetime converted to a zone (default Europe/Stockholm)."""
    return value.astimezone(ZoneInfo(tz or DEFAULT_TZ))


# English pages and e-mails: 24-hour times and dates nobody misreads (2026-12-14 08:30, 14 Dec 2026),
# never the US defaults (12/14/26, 8:30 AM). Swedish keeps its own CLDR formats, which already are.
_ENGLISH = {
    "date": {"short": "yyyy-MM-dd", "medium": "d MMM yyyy", "long": "d MMMM yyyy", "full": "EEEE d MMMM yyyy"},
    "time": {"short": "HH:mm", "medium": "HH:mm:ss", "long": "HH:mm:ss z", "full": "HH:mm:ss zzzz"},
    "datetime": {"short": "yyyy-MM-dd HH:mm", "medium": "d MMM yyyy HH:mm", "long": "d MMMM yyyy HH:mm",
                 "full": "EEEE d MMMM yyyy HH:mm"},
}


def _pattern(kind, fmt, locale):
    if locale.language == "en":
        return _ENGLISH[kind].get(fmt, fmt)
    return fmt


# The same few instants are formatted over and over (a session's start in the page, the e-mail's
# subject and body, the invitation; a week grid's hours): each (value, zone, format, locale) is
# formatted by Babel once per process. The values are immutable and the result depends on nothing
# else; the zone is part of the key because aware datetimes hash by their instant alone.
@lru_cache(maxsize=8192)
def _formatted(kind, value, tz, pattern, locale):
    if kind == "datetime":
        return _format_datetime(value, format=pattern, tzinfo=ZoneInfo(tz), locale=locale)
    if kind == "date":
        return _format_date(value, format=pattern, locale=locale)
    return _format_time(value, format=pattern, locale=locale)


def fmt_datetime(value, tz=None, fmt="medium"):
    if value is None:
        return ""
    locale = _locale()
    return _formatted("datetime", value, tz or DEFAULT_TZ, _pattern("datetime", fmt, locale), locale)


def fmt_date(value, fmt="medium", tz=None):
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value, tz).date()
    locale = _locale()
    return _formatted("date", value, None, _pattern("date", fmt, locale), locale)


def fmt_time(value, tz=None, fmt="short"):
    if value is None:
        return ""
    zone = None
    if isinstance(value, datetime):
        # Aware datetimes compare (and hash) by their instant: the zone must be part of the key.
        zone = tz or DEFAULT_TZ
        value = to_local(value, zone)
    locale = _locale()
    return _formatted("time", value, zone, _pattern("time", fmt, locale), locale)


def fmt_number(value, fmt=None):
    if value is None:
        return ""
    return format_decimal(value, format=fmt, locale=get_locale())


def fmt_weekday(value, width="wide"):
    from babel.dates import get_day_names

    if isinstance(value, date):
        value = value.weekday()
    return get_day_names(width, locale=get_locale())[value]


def _babel_context():
    """Flask-Babel's state for this app context (`g._flask_babel`), read from the context itself
    rather than through the `g` proxy (templates ask for it once per string); None outside one."""
    app_ctx = _cv_app.get(None)
    ctx = None if app_ctx is None else app_ctx.g.__dict__.get("_flask_babel")
    return _get_current_context() if ctx is None and app_ctx is not None else ctx


def _per_locale(attr, make):
    """`make()`, worked out once per locale in effect and kept in Flask-Babel's state under `attr`.
    force_locale (e-mails in the recipient's language) replaces ctx.babel_locale, so the memo, keyed
    on that object, is never used across a change of locale."""
    ctx = _babel_context()
    if ctx is None:
        return make()
    memo = getattr(ctx, attr, None)
    locale = getattr(ctx, "babel_locale", None)
    if memo is None or locale is None or memo[0] is not locale:
        value = make()  # works the locale out first if it was not yet
        memo = (getattr(ctx, "babel_locale", None), value)
        setattr(ctx, attr, memo)
    return memo[1]


def _translations():
    """The request's translations (a page asks for dozens of strings; Flask-Babel's own template
    callables look the catalogue up again for each)."""
    return _per_locale("ktc_translations", get_translations)


def _locale():
    """`get_locale()`, read straight from Flask-Babel's state once it is known (the date and time
    filters ask for it once per value; Flask-Babel goes through the `g` proxy twice each time)."""
    locale = getattr(_babel_context(), "babel_locale", None)
    return locale if locale is not None else get_locale()


def _locale_name():
    locale = get_locale()
    return "" if locale is None else str(locale)


def locale_name():
    """`str(get_locale())` ("sv", "en"): the keys of the page pieces kept once rendered (ktc.web) carry
    it, several per page."""
    return _per_locale("ktc_locale_name", _locale_name)


@pass_eval_context
def _template_gettext(eval_ctx, string, **variables):
    """`_()` and `gettext()` in templates: Jinja's newstyle gettext (the text escaped where the template
    escapes, always a format string) in one call. Jinja's own goes through three `Context.call`s per
    string (the `_` alias, the newstyle wrapper, the callable), which on a small page (the booking
    result: about thirty strings) cost more than looking the strings up."""
    rv = _translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)
    if not variables and "%" not in rv:
        return rv  # what `rv % {}` gives, without formatting
    return rv % variables


def register_template_helpers(app):
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
    app.jinja_env.filters.update(
        datetime=fmt_datetime, date=fmt_date, time=fmt_time, number=fmt_number, weekday=fmt_weekday
    )
