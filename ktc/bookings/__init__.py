"""Bookings: team booking by managers, participants' own bookings, cancellation."""
from flask import Blueprint

bp = Blueprint("bookings", __name__, url_prefix="/bookings")

