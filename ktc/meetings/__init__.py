"""The learning network's own rhythm: members, meetings with invitations, agendas, minutes."""
from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/network/meetings")


@bp.record_once
def _watch_station_changes(_state):
    from ktc.meetings import station_watch

    station_watch.install()
