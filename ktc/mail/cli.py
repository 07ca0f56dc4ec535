"""`flask --app wsgi ktc scheduler` and outbox commands."""
import logging
import signal

import click
from flask import current_app


def register(group):
    @group.command("scheduler")
    @click.option("--once", is_flag=True, help="Run every job once and exit instead of running until stopped.")
    def scheduler_command(once):
        """Run the scheduler process (outbox sender, reminders and the other jobs) in the foreground."""
        from ktc.scheduler import build_scheduler, collect_jobs, run_all_once

        app = current_app._get_current_object()
        if once:
            for job_id, result in run_all_once(app).items():
                click.echo(f"{job_id}: {result}")
            return
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        scheduler = build_scheduler(app)

        def _stop(signum, _frame):
            click.echo(f"Signal {signum}: stopping the scheduler after running jobs finish.")
            scheduler.shutdown(wait=False)

        signal.signal(signal.SIGTERM, _stop)
        click.echo(f"KTC scheduler running {len(collect_jobs())} jobs; stop with Ctrl+C or SIGTERM.")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            scheduler.shutdown(wait=False)

    @group.command("send-outbox")
    def send_outbox_command():
        """Deliver due outbox messages now (the scheduler does this every minute)."""
        from ktc.mail.sender import send_pending

        click.echo(f"Sent {send_pending()} message(s).")
