import json

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ktc import policy
from ktc.extensions import db
from ktc.organisations.models import Participant
from ktc.privacy import bp
from ktc.privacy.operations import erase_participant, export_participant
from ktc.security import is_safe_next


def _participant(participant_id):
    participant = db.session.get(Participant, participant_id)
    if participant is None or not policy.can_view_participant(current_user, participant):
        abort(404)
    return participant


def _download(data, participant_id):
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body, mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="ktc-personal-data-{participant_id}.json"'},
    )


@bp.route("/participants/<int:participant_id>/export")
@login_required
def export(participant_id):
    participant = _participant(participant_id)
    return _download(export_participant(current_user, participant), participant.id)


@bp.route("/me/export")
@login_required
def export_mine():
    if not current_user.participant_id:
        abort(404)
    return export(current_user.participant_id)


@bp.route("/participants/<int:participant_id>/erase", methods=["POST"])
@login_required
def erase(participant_id):
    participant = _participant(participant_id)
    if not policy.is_admin(current_user):
        abort(403)
    erase_participant(current_user, participant)
    flash(_("The person's personal data has been erased; anonymous statistics are kept."), "success")
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("main.index"))
