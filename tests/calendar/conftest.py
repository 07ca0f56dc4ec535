from tests.calendar_servers import caldav_calendar, icaljs, radicale, smtp_server  # noqa: F401
