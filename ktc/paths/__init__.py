"""Learning paths: ordered steps (station skills, external modules, study circles) with due times."""
from flask import Blueprint

bp = Blueprint("paths", __name__, url_prefix="/paths")
