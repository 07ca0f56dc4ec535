from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ktc import policy
from ktc.notices import bp
from ktc.notices.operations import latest_events, mark_all_read
from ktc.web import object_id, require


@bp.app_template_global()
def team_events_for(user):
    """(events, unread count, last unread id) for the home page's list; nothing for anyone but a manager."""
    if not policy.can_follow_team(user):
        return [], 0, None
    return latest_events(user)


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    require(policy.can_follow_team(current_user))
    # Only what the page showed: an event that arrived since stays unread (no field: everything).
    mark_all_read(current_user, up_to=request.form.get("up_to", type=object_id))
    flash(_("All events about your staff are marked as read."), "success")
    return redirect(url_for("main.index"))
