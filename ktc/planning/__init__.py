"""Needs and planning: stated and derived training needs, the demand board, and a proposed plan."""
from flask import Blueprint

bp = Blueprint("planning", __name__, url_prefix="/needs")
