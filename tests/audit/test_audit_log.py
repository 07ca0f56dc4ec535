"""The audit log records bookings, cancellations, attendance and sign-offs, and admins can read it."""
from ktc.bookings.operations import book_team, cancel_booking
from ktc.extensions import db


def test_booking_and_cancellation_are_in_the_audit_log(client, make, login_as):
    unit = make.unit(name="Hemtjänst Norr")
    manager = make.manager(unit, name="Maria Chef")
    person = make.participant(unit, name="Per Persson")
    session = make.session()
    booking = book_team(manager, session, [person])[0].booking
    cancel_booking(manager, booking, "Sjuk")
    admin = make.user("admin")
    db.session.commit()
    login_as(admin)
    page = client.get("/audit/").get_data(as_text=True)
    assert "booking.created" in page and "booking.cancelled" in page
    assert "Maria Chef" in page and "Sjuk" in page
    filtered = client.get("/audit/?action=booking.cancelled").get_data(as_text=True)
    assert "booking.cancelled" in filtered and "<code>booking.created</code>" not in filtered
    csv = client.get("/audit/?format=csv").data.decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Tid;Vem;Åtgärd")
    assert csv.count("booking.") == 2


def test_only_admins_read_the_audit_log(client, make, login_as):
    for role in ("manager", "instructor", "participant", "network"):
        login_as(make.user(role))
        assert client.get("/audit/").status_code == 403
