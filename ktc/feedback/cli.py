"""`flask ktc feedback-requests`: run the feedback request job once."""
import click


def register(group):
    @group.command("feedback-requests")
    def feedback_requests_command():
        """Queue feedback requests for completed sessions now."""
        from ktc.feedback.jobs import send_feedback_requests

        click.echo(f"Queued {send_feedback_requests()} feedback requests")
