from ktc.accounts.models import User
from ktc.accounts.operations import load_user_from_token
from ktc.extensions import db


def test_create_user_and_token(runner, make):
    unit = make.unit(name="Hemsjukvården Nässjö")
    db.session.commit()
    result = runner.invoke(args=["ktc", "create-user", "Eva@Example.org", "--role", "manager",
                                 "--password", "ett långt lösenord", "--name", "Eva Enhetschef", "--unit", str(unit.id)])
    assert result.exit_code == 0, result.output
    user = db.session.query(User).filter_by(email="eva@example.org").one()
    assert user.role == "manager" and [u.name for u in user.units] == ["Hemsjukvården Nässjö"]
    assert user.password_hash.startswith("$argon2id$")
    result = runner.invoke(args=["ktc", "token", "eva@example.org"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert token.startswith("ktc_") and len(token) > 40
    assert load_user_from_token(token).id == user.id


def test_create_user_refuses_bad_input(runner):
    assert runner.invoke(args=["ktc", "create-user", "x@example.org", "--role", "king"]).exit_code != 0
    result = runner.invoke(args=["ktc", "create-user", "x@example.org", "--role", "admin", "--password", "kort"])
    assert result.exit_code != 0 and "10" in result.output
    runner.invoke(args=["ktc", "create-user", "y@example.org", "--role", "admin"])
    again = runner.invoke(args=["ktc", "create-user", "Y@example.org", "--role", "admin"])
    assert again.exit_code != 0
    assert db.session.query(User).count() == 1


def test_production_password_cost(app):
    from ktc.config import Config

    # argon2id with at least 64 MiB and t=3 in production (tests use cheaper settings).
    assert Config.KTC_ARGON2_MEMORY_COST >= 65536 and Config.KTC_ARGON2_TIME_COST >= 3
