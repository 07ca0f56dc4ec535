"""Request-wide wiring: login loading, error pages, security headers, template globals."""
import logging
from typing import NamedTuple

from flask import (Flask, abort, current_app, flash, g, get_template_attribute, jsonify, make_response, redirect,
                   render_template, request, session, url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ktc import policy
from ktc.database import (
    MAX_INT,
    READ_ONLY_METHODS,
    commits_always,
    end_if_unwritten,
    end_unit_of_work,
    retry_after_lost_connection,
)
from ktc.errors import Conflict, DomainError, NotFound, NulCharacter
from ktc.extensions import db, login_manager
from ktc.i18n import locale_name, remember_user_locale
from ktc.security import apply_security_headers, is_api_path

log = logging.getLogger(__name__)

# The database cannot be reached (server down or restarting, connection lost, pool exhausted).
# SQLite's "database is locked" after the busy timeout is an OperationalError too: also "try again".
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 30


def kept(table, limit, key, make, *args):
    """`make(*args)`, kept in `table` (a dict the app holds) under `key`; the table is emptied when it
    reaches `limit` entries, so keys that carry ids or a page's path cannot make it grow for ever."""
    value = table.get(key)
    if value is None:
        value = make(*args)
        if len(table) >= limit:
            table.clear()
        table[key] = value
    return value


# Pieces of a page that depend on a few values and the language only, rendered once from their macro
# and kept per app: (template, macro, language, where the app is mounted, the values) → HTML. Bounded:
# the menu's values include the page's path, which carries ids.
FRAGMENT_CACHE_SIZE = 6144


def kept_fragment(template, macro, values, *args):
    """`macro(*args)` of `template` as HTML, rendered once per language, mount point and `values` (what
    the output depends on besides them; in debug mode, where templates reload, every time)."""
    from markupsafe import Markup

    app = current_app._get_current_object()

    def render():
        return Markup(get_template_attribute(template, macro)(*args))

    if app.debug:
        return render()
    key = (template, macro, locale_name(), request.script_root, *values)
    return kept(app.extensions.setdefault("ktc_fragments", {}), FRAGMENT_CACHE_SIZE, key, render)


class SeatFigures(NamedTuple):
    """What a session's seats show (templates/sessions/_macros.html, `seats`)."""

    seats_municipal: int
    seats_regional: int
    seats_free: int
    capacity: int


def query_to_pass_on(*dropped):
    """The page's query, to give to url_for for a link that keeps the page's filters: those given a
    value, less `dropped`. Keys that url_for takes as its own options (`_method`, `_external`,
    `_anchor`, …) are left out: a link carrying `?_method=DELETE` could not be built (a 500), and no
    other may change where the link points."""
    return {key: value for key, value in request.args.to_dict().items()
            if value and not key.startswith("_") and key not in dropped}


def csv_of_this_page():
    """This page's URL as asked, with `format=csv`: the export of what the page shows."""
    return url_for(request.endpoint, **{**query_to_pass_on(), **request.view_args, "format": "csv"})


def status_badge(status):
    """A booking's or session's status as a badge; lists show one per row."""
    return kept_fragment("sessions/_macros.html", "status_badge", (status,), status)


def balance_badge(balance):
    """A session's mix of municipal and regional staff as a badge (none when it is not known)."""
    return kept_fragment("sessions/_macros.html", "balance_badge", (balance,), balance)


def seats(session, waitlisted=0):
    """A session's booked seats per side and its free seats (and how many wait, if asked)."""
    figures = SeatFigures(session.seats_municipal, session.seats_regional, session.seats_free, session.capacity)
    return kept_fragment("sessions/_macros.html", "seats", (*figures, waitlisted), figures, waitlisted)


def main_nav():
    """The main menu for the signed-in user's role on this page (templates/_nav.html): it depends only
    on the role, the language, where the app is mounted and the page's path (which link is current).
    Every page shows it; rendering it was about a fifth of a small page's work."""
    from flask_login import current_user

    role, path = current_user.role, request.path
    return kept_fragment("_nav.html", "main_menu", (role, path), role, path)


def chrome(part, signed_in):
    """A part of the page layout (templates/_chrome.html) that depends only on the language, where the
    app is mounted and whether someone is signed in: every page shows them."""
    return kept_fragment("_chrome.html", part, (signed_in,), signed_in)


# URLs that depend only on their endpoint, their values and where the app is mounted, kept per app.
FIXED_URL_CACHE_SIZE = 256


def fixed_url(endpoint, **values):
    """url_for for the links every page repeats (stylesheets, scripts, the header's forms and links):
    built once per process and mount point. Only for endpoints whose URL does not depend on the
    request otherwise (no `_external`, no values taken from the current URL)."""
    table = current_app.extensions.setdefault("ktc_fixed_urls", {})
    key = (request.script_root, endpoint, *sorted(values.items()))
    return kept(table, FIXED_URL_CACHE_SIZE, key, lambda: url_for(endpoint, **values))


# Views, hooks and handlers whose sync-or-async answer is kept (ktc.web.App.ensure_sync).
SYNC_CACHE_SIZE = 4096


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session, with its serializer kept per secret key (Flask builds it twice
    per request).

    The JSON API neither reads nor writes the cookie: it is authenticated by tokens alone (a browser's
    session cookie never signs anyone in there, see init_app), and nothing it answers depends on one.
    """

    def get_signing_serializer(self, app):
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        return kept(app.extensions.setdefault("ktc_session_serializers", {}), 4, keys,
                    super().get_signing_serializer, app)

    def open_session(self, app, request):
        if is_api_path(request.path):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not is_api_path(request.path):
            super().save_session(app, session, response)


class App(Flask):
    """KTC's Flask app: every request is one unit of work (see ktc.database)."""

    session_interface = CookieSessions()

    def ensure_sync(self, func):
        """Flask asks this of every hook, handler and view on every request, and answers it with
        `inspect.iscoroutinefunction` (which unwraps each decorator); the answer is kept per function.
        The functions are the app's own views and hooks, registered once; the table is bounded all the
        same (a function made per request, as `after_this_request` takes, would otherwise pile up)."""
        return kept(self.__dict__.setdefault("_ktc_sync", {}), SYNC_CACHE_SIZE, func, super().ensure_sync, func)

    def dispatch_request(self):
        """Run the view, then commit once, before the answer is final (as Indico's `RH.process` does).

        A writing request (POST, PUT, PATCH, DELETE) whose answer is not an error is committed; any
        other answer keeps nothing (end_unit_of_work(commit=False); a read-only request's transaction
        ends at teardown, end_if_unwritten), and any exception is rolled back. The commit comes after
        the view but before the after-request hooks, so a failed commit still reaches the error
        handlers: a unique key that a concurrent request took first is a 409 (HTML page or JSON
        error), and the flash messages and login the view put in the cookie session are taken back,
        so no page claims a change that was not saved.
        """
        cookie = _snapshot_cookie_session()
        try:
            response = self.make_response(super().dispatch_request())
        except BaseException:
            try:
                db.session.rollback()
            except SQLAlchemyError:  # a lost connection: the error handlers see the first error (and may retry)
                log.debug("rollback after a failed view failed too", exc_info=True)
            raise
        if commits_always() or (request.method not in READ_ONLY_METHODS and response.status_code < 400):
            try:
                end_unit_of_work(commit=True)
            except IntegrityError as exc:
                _restore_cookie_session(cookie)
                raise Conflict() from exc
            except BaseException:
                _restore_cookie_session(cookie)
                raise
        elif request.method not in READ_ONLY_METHODS:
            end_unit_of_work(commit=False)
        return response


def _snapshot_cookie_session():
    """A copy of the cookie session (flash messages, login) to put back if the commit fails."""
    cookie = session._get_current_object()
    accessed = cookie.accessed
    copy = {key: list(value) if isinstance(value, list) else value for key, value in cookie.items()}
    cookie.accessed = accessed  # reading it for this copy must not add `Vary: Cookie`
    return copy


def _restore_cookie_session(copy):
    cookie = session._get_current_object()
    cookie.clear()
    cookie.update(copy)


def init_app(app):
    from ktc.accounts.operations import load_user_from_cookie

    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_from_cookie(user_id):
        # The API is authenticated by tokens only: a browser's session cookie never reaches it,
        # which is also why the API needs no CSRF protection.
        if is_api_path(request.path):
            return None
        return remember_user_locale(load_user_from_cookie(user_id))

    @login_manager.request_loader
    def _load_from_header(req):
        # Personal API tokens only ever authenticate the JSON API. Its routes sign the token's user in
        # before anything asks (ktc.api: sign_in_from_token); this loader serves the rest of /api/
        # (a path that matches no route, say).
        if not is_api_path(req.path):
            return None
        return user_from_token(req)

    @login_manager.unauthorized_handler
    def _unauthorized():
        if is_api_path(request.path):
            return api_error("unauthorized", _("Authentication required."), 401)
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    app.after_request(apply_security_headers)
    app.url_value_preprocessor(ids_in_range)
    app.before_request(no_nul_characters)

    @app.teardown_request
    def _end_transaction(exc):
        if exc is not None:
            db.session.rollback()
        elif request.method in READ_ONLY_METHODS and not commits_always():
            end_if_unwritten()  # else closing the session rolls it back

    app.jinja_env.globals.update(policy=policy, main_nav=main_nav, fixed_url=fixed_url, chrome=chrome, seats=seats,
                                 csv_of_this_page=csv_of_this_page,
                                 status_badge=status_badge, balance_badge=balance_badge)

    @app.context_processor
    def _globals():
        return {"current_locale": locale_name()}

    def _wants_json():
        return is_api_path(request.path)

    @app.errorhandler(DomainError)
    def _domain_error(exc):
        db.session.rollback()
        if _wants_json():
            return api_error(exc.code, str(exc), exc.status)
        return render_template("errors/error.html", code=exc.status, message=str(exc)), exc.status

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        if _wants_json():
            return api_error("csrf", _("The form has expired. Please try again."), 400)
        return render_template(
            "errors/error.html", code=400, message=_("The form has expired. Please go back and try again.")
        ), 400

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _http_error)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, database_unavailable)


def user_from_token(req):
    """The user of the request's personal API token (`Authorization: Bearer …`), or None."""
    from ktc.accounts.operations import load_user_from_token

    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return remember_user_locale(load_user_from_token(header[7:].strip()), in_session=False)
    return None


def sign_in_from_token():
    """Make the token's user the signed-in user of this API request (None if the token signs nobody in).

    Flask-Login keeps a request's user in `g._login_user` and, on first asking, fills it through its
    loaders, which also work out the session cookie's protection identifier (a SHA-512 of the address
    and browser), read the cookies for a remember cookie and send its signals: about 130 Python calls
    of an API booking's 4,200 (cProfile), for a request authenticated by its token alone. The API's
    routes fill it here, before the view.
    """
    if "_login_user" not in g:
        user = user_from_token(request)
        g._login_user = user if user is not None else login_manager.anonymous_user()
    return g._login_user if g._login_user.is_authenticated else None


def database_unavailable(exc, retry=True):
    """503 when the database cannot be reached: JSON with Retry-After for the API, a plain page otherwise.

    Nothing here may need the database: the transaction is rolled back (its connection is gone),
    the request is treated as anonymous from now on unless its user was already loaded (so no
    template or hook loads it again), the page is a template of its own that reads nothing from
    the user, and the locale comes from what the request already knows (see select_locale).
    """
    retried = retry_after_lost_connection(exc) if retry else None
    if retried is not None:
        return retried
    log.warning("database unavailable for %s %s: %s", request.method, request.path, exc)
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is already broken; the pool discards it
        log.debug("rollback after a database failure failed too", exc_info=True)
    if "_login_user" not in g:
        g._login_user = login_manager.anonymous_user()
    message = _("The database cannot be reached right now. Please try again in a moment.")
    if is_api_path(request.path):
        response = api_error("database_unavailable", message, 503)
    else:
        response = make_response(render_template("errors/unavailable.html", message=message), 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _http_error(exc):
    code = getattr(exc, "code", 500) or 500
    # An exception outside a view (in an after-request hook, say) reaches here wrapped in a 500.
    original = getattr(exc, "original_exception", None)
    if isinstance(original, DATABASE_UNAVAILABLE):
        return database_unavailable(original, retry=False)
    messages = {
        400: _("The request could not be understood."),
        403: _("You do not have permission to see this page."),
        404: _("The page could not be found."),
        405: _("That method is not allowed here."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait a while and try again."),
        500: _("Something went wrong on our side. Please try again later."),
    }
    if code >= 500:
        db.session.rollback()
    message = messages.get(code, messages[500])
    if is_api_path(request.path):
        names = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                 413: "too_large", 429: "too_many_requests", 500: "server_error"}
        response = api_error(names.get(code, "error"), message, code)
    else:
        response = make_response(render_template("errors/error.html", code=code, message=message), code)
    if code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))  # RFC 9110: a 405 says what is allowed
    return response


def api_error(code, message, status):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def show_domain_error(form, exc, fields=None):
    """Put a domain error on the form field it concerns (or flash it) so the form is shown again."""
    name = (fields or {}).get(exc.field, exc.field)
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [str(exc)]
    else:
        flash(str(exc), "error")


def ids_in_range(endpoint, values):
    """An id in the URL past the id column's range names nothing: 404, before any query (an HTML
    page or the API's JSON error). PostgreSQL would refuse a number past 2**31 - 1, SQLite one past
    2**63 - 1, as a server error. Registered for every route, so views need not check their ids."""
    for value in (values or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_INT:
            raise NotFound()


def no_nul_characters():
    """Refuse a page's request with a NUL character in its query or its form (400, with a message in
    the user's language), before anything reads or stores it: PostgreSQL refuses NUL in text as a
    server error, and SQLite would store it. The JSON API answers the same per field (ktc.api.schemas)."""
    if is_api_path(request.path):
        return
    if _has_nul(request.args) or (request.method not in READ_ONLY_METHODS and _has_nul(request.form)):
        raise NulCharacter()


def _has_nul(values):
    return any("\x00" in key or "\x00" in value for key, value in values.items(multi=True))


def object_id(value):
    """`type=` for an object's id in a query string or a form (`request.args.get("x", type=object_id)`):
    a number past the id column's range names no object, so it counts as not given (werkzeug answers
    the default for a ValueError; `getlist` leaves it out) rather than reaching the database."""
    number = int(value)
    if not 0 < number <= MAX_INT:
        raise ValueError(value)
    return number


def require(allowed):
    """Refuse with 403 unless the policy allowed it."""
    if not allowed:
        abort(403)


def get_or_404(model, object_id, options=()):
    """The object, loaded with the given loader options, or a 404."""
    obj = db.session.get(model, object_id, options=options)
    if obj is None:
        abort(404)
    return obj


def form_page(form, save, done_endpoint, template, done_args=None, **context):
    """The usual form page: a valid POST runs `save` (committed with the request), says so and goes on to
    `done_endpoint` (with the URL values `done_args(saved)` when given); a domain error goes back on
    the form, which keeps what was typed (422)."""
    if form.validate_on_submit():
        try:
            saved = save()
            db.session.flush()
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(_("%(name)s has been saved.", name=saved.name), "success")
            return redirect(url_for(done_endpoint, **(done_args(saved) if done_args else {})))
    # Shown again after a POST means refused (invalid, or a rule said no), even when the reason
    # was flashed rather than put on a field.
    return render_template(template, form=form, **context), 422 if request.method == "POST" else 200
