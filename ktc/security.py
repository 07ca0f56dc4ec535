"""Security headers and cache rules applied to every response."""
from urllib.parse import urlsplit

from flask import current_app, g, request
from flask_login import AnonymousUserMixin

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


# Set on every response unless the view set its own: (name, lowercased name, value).
_HEADERS = tuple((name, name.lower(), value) for name, value in (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
))
_HSTS = ("Strict-Transport-Security", "strict-transport-security", "max-age=31536000; includeSubDomains")

# The JSON API's paths: authenticated by personal tokens alone, never by the cookie session, which its
# requests neither read nor write (ktc.web.CookieSessions); answered in JSON, never stored.
API_PREFIX = "/api/"


def is_api_path(path):
    return path.startswith(API_PREFIX)


def apply_security_headers(response):
    headers = response.headers
    # The names already set, in one pass: werkzeug looks a missing header up by raising and catching an
    # exception, which for the six asked here was most of this function's cost on every response.
    present = {name.lower() for name, _value in headers}
    wanted = _HEADERS + (_HSTS,) if current_app.config["ENV_NAME"] == "production" else _HEADERS
    for name, key, value in wanted:
        if key not in present:
            headers.add(name, value)
    # Pages with personal data are never stored by browsers or proxies. Only a user this request
    # already loaded counts: loading one here would ask the database, which may be the very thing
    # that failed (a page that never looked at its user shows nothing personal about them).
    if "cache-control" not in present and (signed_in_user_loaded() or is_api_path(request.path)):
        headers["Cache-Control"] = "no-store"
    return response


def signed_in_user_loaded():
    """Whether this request has already loaded a signed-in user; never loads one, never reads a column.

    Flask-Login keeps the loaded user (or its anonymous user) in `g._login_user`; until something
    asks for `current_user` the attribute is absent. Our loaders return only active users, so a
    loaded user that is not the anonymous one is signed in (its `is_authenticated` would read
    the `active` column, which after a rollback means a query).
    """
    user = g.get("_login_user")
    return user is not None and not isinstance(user, AnonymousUserMixin)


def is_safe_next(target):
    r"""Only local paths are accepted as a `next` redirect.

    Browsers drop tabs and line breaks inside a URL and read a backslash as a slash, so
    "/\t/evil" or "/\evil" would leave the site; control characters would also break the
    Location header (a 500). Anything with them, or not a plain path, is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
