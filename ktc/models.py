"""Imports every feature's tables so that Alembic and create_all see the whole schema."""
from ktc.accounts.models import ApiToken, LoginFailure, User, unit_managers  # noqa: F401
from ktc.audit.models import AuditEntry  # noqa: F401
from ktc.bookings.models import Booking  # noqa: F401
from ktc.calendar.models import CalendarFeed, CalendarReply, CalendarStamp, MailboxLease  # noqa: F401
from ktc.feedback.models import Feedback, SessionReport  # noqa: F401
from ktc.mail.models import OutboxMessage  # noqa: F401
from ktc.meetings.models import (  # noqa: F401
    Meeting, MeetingAction, MeetingFeed, MeetingInvitation, MemberContact, NetworkMember, StationChange,
)
from ktc.network.models import NetworkDigest, session_skill_stats, session_stats  # noqa: F401
from ktc.notices.models import TeamEvent  # noqa: F401
from ktc.organisations.models import CsvUpload, Organisation, Participant, Unit  # noqa: F401
from ktc.planning.models import (DerivedDecision, InstructorAbsence, InstructorAvailability,  # noqa: F401
                                   InstructorLimit, Need, instructor_skills, need_participants)
from ktc.records.models import SkillRecord  # noqa: F401
from ktc.sessions.models import Series, Session, session_instructors, session_skills  # noqa: F401
from ktc.scim.models import ScimToken, ScimUser  # noqa: F401
from ktc.sso.models import ExternalIdentity, IdentityProvider, identity_provider_organisations  # noqa: F401
from ktc.skills.models import Profession, Skill, profession_skills  # noqa: F401
from ktc.stations.models import Centre, ClosedDay, OpeningHours, Station, station_skills  # noqa: F401
from ktc.paths.models import (  # noqa: F401
    CircleAttendance, CircleMeeting, LearningPath, PathAssignment, PathStep, StepCompletion, StudyCircle,
    circle_members, meeting_steps, step_prerequisites,
)
