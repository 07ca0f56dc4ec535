"""`flask ktc calendar-changed`: renew every feed's validator after changes made outside KTC."""
import click

from ktc.calendar import stamps
from ktc.extensions import db


def register(group):
    @group.command("calendar-changed")
    def calendar_changed_command():
        """Tell every calendar client to fetch its feed again (after a bulk SQL update or a restore)."""
        stamps.everything_changed()
        db.session.commit()
        click.echo("Every calendar feed will be sent in full on its next request.")
