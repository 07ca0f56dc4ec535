"""Bookings."""
from flask import Blueprint

bp = Blueprint("bookings", __name__, url_prefix="/bookings")
