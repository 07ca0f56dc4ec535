from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, func, select

from ktc import policy
from ktc.extensions import db
from ktc.mail import bp
from ktc.mail.models import OUTBOX_STATUSES, OutboxMessage
from ktc.mail.sender import retry, retry_all_failed
from ktc.web import get_or_404, require

PAGE_SIZE = 200


def status_label(status):
    return {
        "pending": _("Waiting"),
        "sending": _("Sending"),
        "sent": _("Sent"),
        "failed": _("Failed"),
    }.get(status, status)


def _require_admin():
    require(policy.can_manage_outbox(current_user))


@bp.route("/outbox")
@login_required
def outbox():
    _require_admin()
    status = request.args.get("status", "")
    if status not in OUTBOX_STATUSES:
        status = ""
    query = select(OutboxMessage)
    if status:
        query = query.where(OutboxMessage.status == status)
    # Failed messages first: they are the ones that need someone.
    failed_first = case((OutboxMessage.status == "failed", 0), else_=1)
    messages = db.session.execute(
        query.order_by(failed_first, OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(PAGE_SIZE)
    ).scalars().all()
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all())
    return render_template(
        "mail/outbox.html", messages=messages, status=status, statuses=OUTBOX_STATUSES, counts=counts,
        mail_configured=bool(current_app.config.get("KTC_MAIL_URL")), page_size=PAGE_SIZE,
        status_label=status_label,
    )


@bp.route("/outbox/<int:message_id>")
@login_required
def message(message_id):
    _require_admin()
    found = get_or_404(OutboxMessage, message_id)
    return render_template("mail/message.html", message=found, status_label=status_label)


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@login_required
def retry_message(message_id):
    _require_admin()
    found = get_or_404(OutboxMessage, message_id)
    if retry(found):
        flash(_("The message will be sent again at the next delivery run."), "success")
    else:
        flash(_("Only failed or waiting messages can be sent again."), "error")
    return redirect(url_for("mail.outbox", status=request.form.get("status") or None))


@bp.route("/outbox/retry-failed", methods=["POST"])
@login_required
def retry_failed():
    _require_admin()
    count = retry_all_failed()
    flash(_("%(count)s failed messages will be sent again.", count=count), "success")
    return redirect(url_for("mail.outbox"))

