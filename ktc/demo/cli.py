"""`flask --app wsgi ktc demo`: load the demo data and print the demo logins."""
import os

import click
from flask import current_app


def register(group):
    @group.command("demo")
    @click.option("--force", is_flag=True, help="Load the demo data even when ENV_NAME is production.")
    def demo_command(force):
        """Load realistic Swedish demo data (running it again changes nothing).

        Every demo user gets the same password: KTC_DEMO_PASSWORD if set, otherwise one
        derived from this installation's SECRET_KEY. Users that already exist keep theirs.
        """
        from ktc.demo.operations import demo_password, load_demo
        from ktc.errors import DomainError

        if current_app.config["ENV_NAME"] == "production" and not force:
            raise click.ClickException(
                "Refusing to load demo data into a production installation (ENV_NAME=production). "
                "Use --force if you really mean it."
            )
        password = os.environ.get("KTC_DEMO_PASSWORD") or demo_password(current_app.config["SECRET_KEY"])
        if len(password) < 10:
            raise click.ClickException("KTC_DEMO_PASSWORD must be at least 10 characters long.")
        try:
            result = load_demo(password)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc

        click.echo("Demo data loaded." if result.created else "Demo data was already loaded; nothing missing was found.")
        click.echo()
        click.echo(format_logins(result.logins))
        click.echo()
        click.echo(f"Password for every demo login: {password}")
        if not result.existing_password_matches:
            click.echo(
                "Note: the demo users existed before with another password (SECRET_KEY or "
                "KTC_DEMO_PASSWORD changed); they keep it.",
                err=True,
            )


def format_logins(logins):
    """A plain-text table of (role, e-mail, name)."""
    rows = [("Role", "E-mail", "Name")] + [tuple(row) for row in logins]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
