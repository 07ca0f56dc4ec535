"""`flask ktc calendar-changed`: renew every feed's validator after changes made outside KTC."""
import click

from ktc.calendar import stamps


def register(group):
    @group.command("calendar-changed")
    def calendar_changed_command():
        """Tell every calendar client to fetch its feed again (after a bulk SQL update or a restore)."""
        stamps.everything_changed()
        click.echo("Every calendar feed will be sent in full on its next request.")

    @group.command("calendar-replies")
    def calendar_replies_command():
        """Read the replies in the organizer's mailbox (KTC_IMAP_URL) once and apply them."""
        from flask import current_app

        from ktc.calendar.jobs import read_calendar_replies

        if not current_app.config.get("KTC_IMAP_URL"):
            raise click.ClickException("KTC_IMAP_URL is not set: there is no mailbox to read.")
        filed = read_calendar_replies()
        click.echo(f"{filed} calendar message(s) handled.")
