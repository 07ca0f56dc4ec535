from datetime import timedelta

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ktc import policy
from ktc.database import utcnow
from ktc.errors import DomainError
from ktc.extensions import db
from ktc.feedback import bp
from ktc.feedback.forms import FeedbackForm, SessionReportForm
from ktc.feedback.operations import (
    AlreadyAnswered,
    feedback_by_token,
    own_feedback,
    report_for,
    reportable_sessions,
    save_session_report,
    submit_feedback,
    waiting_for,
)
from ktc.sessions.models import Session
from ktc.web import get_or_404, require, show_domain_error

REPORT_LIST_DAYS = 120


def _private(template, status=200, **context):
    # The token is in the URL: never cache the page, never send it on as a referrer.
    response = make_response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/<token>", methods=["GET", "POST"])
def respond(token):
    """The link from the e-mail: no login, the token is the credential."""
    return _answer(feedback_by_token(token))


@bp.route("/mine/<int:feedback_id>", methods=["GET", "POST"])
@login_required
def mine(feedback_id):
    """The same form for a logged-in participant, reached from their own list (the token is only
    in the e-mail: it is stored hashed, so the app cannot show that link again)."""
    return _answer(own_feedback(current_user.participant_id, feedback_id))


def _answer(feedback):
    if feedback.responded_at is not None:
        status = 409 if request.method == "POST" else 200
        return _private("feedback/answered.html", status, feedback=feedback)
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            submit_feedback(feedback, form.data)
        except AlreadyAnswered:
            db.session.rollback()
            return _private("feedback/answered.html", 409, feedback=feedback)
        return _private("feedback/thanks.html", feedback=feedback)
    status = 422 if form.errors else 200
    return _private("feedback/form.html", status, form=form, feedback=feedback)


@bp.app_template_global()
def feedback_waiting():
    """For templates: the current participant's unanswered requests (queried only where a page shows
    them). A global rather than a context processor, which would run for every page rendered."""
    return waiting_for(getattr(current_user, "participant_id", None))


@bp.route("/reports")
@login_required
def reports():
    require(policy.can_list_session_reports(current_user))
    now = utcnow()
    rows = reportable_sessions(current_user, now - timedelta(days=REPORT_LIST_DAYS), now + timedelta(days=1))
    return render_template("feedback/reports.html", rows=rows, days=REPORT_LIST_DAYS)


@bp.route("/sessions/<int:session_id>/report", methods=["GET", "POST"])
@login_required
def report(session_id):
    session = get_or_404(Session, session_id)
    require(policy.can_write_session_report(current_user, session))
    existing = report_for(session)
    form = SessionReportForm(obj=existing)
    if form.validate_on_submit():
        try:
            save_session_report(
                current_user, session, form.what_worked.data, form.what_to_change.data, form.equipment_problems.data
            )
        except DomainError as exc:
            db.session.rollback()
            show_domain_error(form, exc)
        else:
            flash(_("The session report has been saved."), "success")
            return redirect(url_for("feedback.report", session_id=session.id))
    # A POST that gets here was refused (invalid form or a domain error).
    status = 422 if request.method == "POST" else 200
    return render_template("feedback/report.html", form=form, session=session, report=existing), status
