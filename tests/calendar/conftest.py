from tests.calendar_servers import caldav_calendar, icaljs, radicale, smtp_server  # noqa: F401
from tests.imap_server import dovecot, imap  # noqa: F401
