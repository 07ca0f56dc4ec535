"""Password hashing follows the configured argon2 cost (KTC_ARGON2_*), and a stored hash of another
cost is upgraded at the next login: the rule the fifth mutation run (docs/MUTATION.md) found
checked only at the production cost, which is also argon2's default, so that a setting ignored
went unnoticed."""
from argon2 import PasswordHasher, Type, extract_parameters

from ktc.accounts.models import User
from ktc.accounts.operations import hash_password
from ktc.extensions import db

PASSWORD = "en lång lösenfras för testet"
COST = {"KTC_ARGON2_TIME_COST": 2, "KTC_ARGON2_MEMORY_COST": 16, "KTC_ARGON2_PARALLELISM": 2}


def _cost(encoded):
    parameters = extract_parameters(encoded)
    return parameters.type, parameters.time_cost, parameters.memory_cost, parameters.parallelism


def test_a_password_is_hashed_with_argon2id_at_the_configured_cost(app, monkeypatch):
    for name, value in COST.items():
        monkeypatch.setitem(app.config, name, value)
    encoded = hash_password(PASSWORD)
    assert _cost(encoded) == (Type.ID, 2, 16, 2)
    assert PasswordHasher().verify(encoded, PASSWORD)


def test_a_hash_of_another_cost_is_upgraded_to_the_configured_one_at_login(app, client, make, monkeypatch):
    user = make.user("admin", email="kostnad@example.org", password=PASSWORD)  # the test cost: t=1, m=8, p=1
    db.session.commit()
    assert _cost(user.password_hash) == (Type.ID, 1, 8, 1)
    for name, value in COST.items():
        monkeypatch.setitem(app.config, name, value)
    assert client.post("/login", data={"email": "kostnad@example.org", "password": PASSWORD}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert _cost(stored) == (Type.ID, 2, 16, 2)
    assert PasswordHasher().verify(stored, PASSWORD)
