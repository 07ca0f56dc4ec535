from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.http import is_resource_modified

from ktc import policy
from ktc.bookings.models import Booking
from ktc.calendar import bp
from ktc.calendar.forms import CalendarSettingsForm
from ktc.calendar.models import CalendarFeed
from ktc.calendar.operations import (
    booking_ics,
    calendar_settings_owner,
    create_feeds,
    feed_body,
    feed_state,
    feeds_to_create,
    renew_feed,
    save_calendar_settings,
    session_ics,
    user_feeds,
)
from ktc.errors import ValidationError
from ktc.extensions import db
from ktc.sessions.models import Session
from ktc.web import get_or_404, require

ICS_TYPE = "text/calendar; charset=utf-8"


@bp.route("/")
@login_required
def feeds():
    participant = calendar_settings_owner(current_user)
    form = None
    if participant is not None:
        form = CalendarSettingsForm(data={
            "delivery": participant.calendar_delivery,
            "reminder": str(participant.calendar_reminder_minutes or ""),
        })
    return _feeds_page(form)


def _feeds_page(form, status=200):
    return render_template(
        "calendar/feeds.html", links=user_feeds(current_user), to_create=feeds_to_create(current_user),
        settings=form,
    ), status


@bp.route("/settings", methods=["POST"])
@login_required
def settings():
    """A participant's choice of invitations, subscription or both, and their reminder."""
    if calendar_settings_owner(current_user) is None:
        abort(403)
    form = CalendarSettingsForm()
    if not form.validate_on_submit():
        return _feeds_page(form, 400)
    try:
        save_calendar_settings(current_user, form.delivery.data, int(form.reminder.data) if form.reminder.data else None)
    except ValidationError as exc:
        form.delivery.errors.append(str(exc))
        return _feeds_page(form, 400)
    flash(_("Your calendar settings are saved."), "success")
    if form.delivery.data == "both":
        flash(_("With both, every session shows twice in your calendar: once from the invitation and once from "
                "the subscription."), "warning")
    return redirect(url_for("calendar.feeds"))


@bp.route("/feeds", methods=["POST"])
@login_required
def create():
    """Create the user's calendar links (a GET never writes, so this is its own POST)."""
    create_feeds(current_user)
    flash(_("Your calendar links are ready."), "success")
    return redirect(url_for("calendar.feeds"))


@bp.route("/feeds/<int:feed_id>/renew", methods=["POST"])
@login_required
def renew(feed_id):
    feed = db.session.get(CalendarFeed, feed_id)
    if feed is None or feed.owner_user_id != current_user.id:
        abort(404)
    renew_feed(current_user, feed)
    flash(_("The calendar link has been renewed. Subscriptions with the old link no longer work; "
            "add the new link to your calendar."), "success")
    return redirect(url_for("calendar.feeds"))


@bp.route("/feed/<token>.ics")
def feed(token):
    """A subscription feed. The token is the only credential, so unknown tokens are a plain 404.

    The ETag and Last-Modified are known before the feed is built (see `feed_state`), so a
    calendar client asking again for an unchanged feed gets its 304 from one indexed query.
    """
    state = feed_state(token)
    if state is None:
        abort(404)
    if is_resource_modified(request.environ, etag=state.etag, last_modified=state.last_modified):
        response = Response(feed_body(state), content_type=ICS_TYPE)
    else:
        response = Response(status=304)
    db.session.rollback()
    response.set_etag(state.etag)
    response.last_modified = state.last_modified
    # Calendar clients may keep the feed but must ask again (cheaply, with the ETag) before use.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/bookings/<int:booking_id>.ics")
@login_required
def booking_download(booking_id):
    booking = get_or_404(Booking, booking_id)
    require(policy.can_view_booking(current_user, booking))
    return _download(booking_ics(booking), f"ktc-booking-{booking.id}.ics")


@bp.route("/sessions/<int:session_id>.ics")
@login_required
def session_download(session_id):
    session = get_or_404(Session, session_id)
    require(policy.can_download_session_ics(current_user, session))
    return _download(session_ics(session), f"ktc-session-{session.id}.ics")


def _download(body, filename):
    response = Response(body.encode("utf-8"), content_type=ICS_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
