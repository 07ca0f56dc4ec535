"""The learning network's own rhythm: members, meetings with invitations, agendas, minutes."""
from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/network/meetings")
