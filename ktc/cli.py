"""`flask --app wsgi ktc …` commands: thin wrappers that call operations; each command is one unit of work."""
from functools import wraps
from importlib import import_module

import click
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from ktc.database import unit_of_work
from ktc.features import FEATURES


def in_unit_of_work(command):
    """Run a command as one transaction (ktc.database.unit_of_work): committed once when it ends.

    What the command printed before a failed commit did not happen: say so.
    """

    @wraps(command)
    def run(*args, **kwargs):
        try:
            with unit_of_work():
                return command(*args, **kwargs)
        except IntegrityError as exc:
            raise click.ClickException(f"That conflicts with existing data; nothing was saved. ({exc.orig})") from exc

    return run


class UnitOfWorkGroup(AppGroup):
    """A command group whose every command (and subgroup's command) runs as one unit of work."""

    def command(self, *args, **kwargs):
        wrap = super().command
        if len(args) == 1 and callable(args[0]):  # used bare, as `@group.command`
            return wrap(**kwargs)(in_unit_of_work(args[0]))

        def decorator(f):
            return wrap(*args, **kwargs)(in_unit_of_work(f))

        return decorator

    def group(self, *args, **kwargs):
        kwargs.setdefault("cls", UnitOfWorkGroup)
        return super().group(*args, **kwargs)


ktc_cli = UnitOfWorkGroup("ktc", help="KTC commands.")


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
    token = issue_api_token(user, name)
    click.echo(token)
