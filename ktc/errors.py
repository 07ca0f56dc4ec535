"""Domain exceptions. Operations raise them; views flash them, the API turns them into JSON."""
from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A rule of the domain said no. `code` is stable (API clients rely on it)."""

    code = "invalid"
    status = 422
    message = _l("The request could not be carried out.")

    def __init__(self, message=None, *, field=None, **params):
        self.params = params
        self.field = field
        if message is not None:
            self.message = message
        super().__init__(str(self.code))

    def __str__(self):
        text = str(self.message)
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):
            return text


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = _l("Not found.")


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    message = _l("You do not have permission to do that.")


class ValidationError(DomainError):
    code = "invalid"
    status = 422
    message = _l("The data given is not valid.")


class NulCharacter(ValidationError):
    """A NUL character in a page's query or form: nobody types one, and PostgreSQL stores none in text."""

    code = "nul_character"
    status = 400
    message = _l("The request contains a character that cannot be saved (NUL). Remove it and try again.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = _l("That conflicts with existing data.")


# Session planning
class EndBeforeStart(ValidationError):
    code = "end_before_start"
    message = _l("The end must be after the start.")


class OutsideOpeningHours(ValidationError):
    code = "outside_opening_hours"
    message = _l("The session is outside the centre's opening hours.")


class ClosedDayError(ValidationError):
    code = "closed_day"
    message = _l("The centre is closed on %(day)s.")


class StationOverlap(Conflict):
    code = "station_overlap"
    message = _l("The station is already in use then (including the changeover time).")


class InstructorOverlap(Conflict):
    code = "instructor_overlap"
    message = _l("%(name)s is already instructing another session at that time.")


# Booking
class SessionNotBookable(Conflict):
    code = "session_not_bookable"
    message = _l("The session is not open for booking.")


class BookingClosed(Conflict):
    code = "booking_closed"
    message = _l("Booking and cancellation closed %(hours)s hours before the start.")


class SessionFull(Conflict):
    code = "session_full"
    message = _l("The session is full.")


class QuotaReached(Conflict):
    code = "quota_reached"
    message = _l("The seats left are held for the other side until %(release)s.")


class SeatsReserved(Conflict):
    code = "seats_reserved"
    message = _l("Until %(until)s the seats are reserved for the units whose training needs the session was "
                 "planned for; %(names)s can be booked from then.")


class AlreadyBooked(Conflict):
    code = "already_booked"
    message = _l("Already booked into this session.")


class Overlap(Conflict):
    code = "overlap"
    message = _l("Already booked into another session at the same time.")


class TeamNotBookable(Conflict):
    code = "team_not_bookable"
    message = _l("Not everyone could get a seat, so nobody was booked (all or nothing).")


class ParticipantInactive(ValidationError):
    code = "participant_inactive"
    message = _l("The person is not active.")


class ImportFailed(ValidationError):
    code = "import_failed"
    message = _l("The file has errors; nothing was imported.")

    def __init__(self, row_errors, message=None):
        self.row_errors = row_errors
        super().__init__(message)
