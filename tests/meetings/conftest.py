import pytest

from ktc.extensions import db
from ktc.meetings.models import MemberContact, NetworkMember


@pytest.fixture
def network(make):
    """A coordinator, two member organisations with a contact each, and a pending one."""
    coordinator = make.user("network", name="Cecilia Samordnare", network_coordinator=True)
    contacts = []
    for name in ("Region Jönköpings län", "Värnamo kommun"):
        user = make.user("network", name=f"Kontakt {name}")
        member = NetworkMember(name=name, status="member")
        member.contacts.append(MemberContact(user=user))
        db.session.add(member)
        contacts.append(user)
    pending_user = make.user("network", name="Väntande Vän")
    pending = NetworkMember(name="Privat Omsorg AB", status="pending")
    pending.contacts.append(MemberContact(user=pending_user))
    db.session.add(pending)
    db.session.flush()
    return {"coordinator": coordinator, "contacts": contacts, "pending": pending, "pending_user": pending_user}
