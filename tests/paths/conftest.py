"""Fixtures of the calendar servers, for the study circles' feeds (tests/paths/test_circle_feeds.py)."""
from tests.calendar_servers import icaljs  # noqa: F401
