"""Absolute URLs built without a request, for e-mails, calendar events and feeds."""
from urllib.parse import urlsplit

from flask import current_app


def external_url(endpoint, **values):
    """An absolute URL under KTC_BASE_URL, without needing a request (jobs have none)."""
    base = urlsplit(current_app.config["KTC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
