"""Test messages in the outbox."""
from ktc.extensions import db
from ktc.mail.outbox import enqueue


def queue(n):
    """Queue n plain messages (to person0@example.org, person1@…) and commit; their ids in order."""
    ids = [enqueue("test", f"m{i}", f"person{i}@example.org", f"Meddelande {i}", "Text").id for i in range(n)]
    db.session.commit()
    return ids
