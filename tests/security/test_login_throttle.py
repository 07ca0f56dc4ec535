"""Login throttling per client address and per account from that address, never a lock-out of the owner."""
import json

from sqlalchemy import select

from ktc.accounts.models import LoginFailure
from ktc.accounts.operations import client_address
from ktc.audit.models import AuditEntry
from ktc.extensions import db

PASSWORD = "correct horse battery"
ATTACKER, OWNER = "198.51.100.66", "203.0.113.10"


def _login(client, email, password=PASSWORD, addr=ATTACKER, **headers):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": addr}, headers=headers)


def _throttle_entries():
    return [json.loads(e.details) for e in db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "login.throttled").order_by(AuditEntry.id)).scalars()]


def test_a_flood_against_one_account_does_not_lock_its_owner_out(client, make, app):
    make.user("manager", email="target@example.org", password=PASSWORD)
    db.session.commit()
    for _ in range(app.config["KTC_LOGIN_MAX_FAILURES"]):
        assert _login(client, "target@example.org", "guess").status_code == 401
    for _ in range(3):  # beyond the limit: refused without checking the password, even the right one
        assert _login(client, "target@example.org", "guess").status_code == 429
    assert _login(client, "target@example.org").status_code == 429
    assert db.session.query(LoginFailure).count() == app.config["KTC_LOGIN_MAX_FAILURES"]
    # The owner, from their own address, logs in at once.
    assert _login(app.test_client(), "target@example.org", addr=OWNER).status_code == 302
    # Logging in elsewhere does not reset the attacker's count: still throttled there.
    assert _login(client, "target@example.org", "guess").status_code == 429
    # The throttled attempts are in the audit log, once for the window, not once per attempt.
    assert _throttle_entries() == [{"scope": "account", "address": ATTACKER, "email": "target@example.org"}]


def test_one_address_is_throttled_across_all_accounts(client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "KTC_LOGIN_MAX_FAILURES_PER_ADDRESS", 6)
    make.user("admin", email="real@example.org", password=PASSWORD)
    db.session.commit()
    for i in range(6):  # a few guesses each at many accounts, most of which do not exist
        assert _login(client, f"person{i}@example.org", "Sommar2024").status_code == 401
    response = _login(client, "real@example.org")
    assert response.status_code == 429
    assert "För många misslyckade försök. Vänta 15 minuter" in response.get_data(as_text=True)
    assert _login(client, "another@example.org", "Sommar2024").status_code == 429
    assert _login(client, "real@example.org", addr=OWNER).status_code == 302
    assert _throttle_entries() == [{"scope": "address", "address": ATTACKER}]


def test_a_forged_forwarded_for_header_is_ignored_without_a_trusted_proxy(client, make, app):
    make.user("admin", email="forged@example.org", password=PASSWORD)
    db.session.commit()
    for i in range(app.config["KTC_LOGIN_MAX_FAILURES"]):
        _login(client, "forged@example.org", "guess", **{"X-Forwarded-For": f"192.0.2.{i}"})
    assert _login(client, "forged@example.org", **{"X-Forwarded-For": "192.0.2.200"}).status_code == 429
    assert {f.remote_addr for f in db.session.query(LoginFailure)} == {ATTACKER}


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(proxied_app, make, app):
    make.user("admin", email="proxied@example.org", password=PASSWORD)
    db.session.commit()
    client = proxied_app.test_client()
    proxy = "10.0.0.2"
    for _ in range(app.config["KTC_LOGIN_MAX_FAILURES"]):
        _login(client, "proxied@example.org", "guess", addr=proxy, **{"X-Forwarded-For": ATTACKER})
    assert _login(client, "proxied@example.org", addr=proxy, **{"X-Forwarded-For": ATTACKER}).status_code == 429
    # Everyone else comes through the same proxy and is not affected.
    assert _login(client, "proxied@example.org", addr=proxy, **{"X-Forwarded-For": OWNER}).status_code == 302
    assert {f.remote_addr for f in db.session.query(LoginFailure)} == {ATTACKER}


def test_client_address_groups_an_ipv6_subscriber():
    assert client_address("2001:db8:1:2:aaaa::1") == client_address("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_address("2001:db8:1:3::1") != client_address("2001:db8:1:2::1")
    assert client_address("::ffff:198.51.100.7") == "198.51.100.7"
    assert client_address("198.51.100.7") == "198.51.100.7"
    assert client_address(None) == "unknown"
