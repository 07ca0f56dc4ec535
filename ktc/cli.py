"""`flask --app wsgi ktc …` commands: thin wrappers that call operations and commit once."""
from contextlib import contextmanager
from importlib import import_module

import click
from flask.cli import AppGroup

from ktc.extensions import db
from ktc.features import FEATURES

ktc_cli = AppGroup("ktc", help="KTC commands.")


@contextmanager
def transaction():
    """One transaction for a command: commit on success, roll back on any error."""
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def init_app(app):
    for name in FEATURES + ("demo",):
        try:
            module = import_module(f"ktc.{name}.cli")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"ktc.{name}", f"ktc.{name}.cli"):
                raise
            continue
        module.register(ktc_cli)
    app.cli.add_command(ktc_cli)


@ktc_cli.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "instructor", "manager", "participant", "network"]))
@click.option("--password", default=None, help="At least 10 characters; without it the user cannot log in yet.")
@click.option("--name", default=None)
@click.option("--unit", "units", multiple=True, type=int, help="Unit id managed by a manager (repeatable).")
def create_user_command(email, role, password, name, units):
    """Create a user."""
    from ktc.accounts.operations import create_user
    from ktc.errors import DomainError

    try:
        with transaction():
            user = create_user(email, role, name=name, password=password, unit_ids=units)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.role} {user.email} (id {user.id})")


@ktc_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli")
def token_command(email, name):
    """Print a new personal API token for EMAIL."""
    from ktc.accounts.operations import issue_api_token, user_by_email

    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}")
    with transaction():
        token = issue_api_token(user, name)
    click.echo(token)
