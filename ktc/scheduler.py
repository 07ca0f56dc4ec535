"""The scheduler process (`flask --app wsgi ktc scheduler`): one BlockingScheduler for all jobs.

APScheduler 3 cannot share its job store between processes, so it runs in one process of its
own, never inside web workers. Jobs claim due rows in the database, so even two schedulers by
mistake, or a restart in the middle of a run, do nothing twice.
"""
import logging
from importlib import import_module

from apscheduler.schedulers.blocking import BlockingScheduler

from ktc.database import unit_of_work
from ktc.extensions import db
from ktc.features import FEATURES

log = logging.getLogger(__name__)


def collect_jobs():
    """Every feature's `JOBS` list (from `ktc/<feature>/jobs.py`), in feature order."""
    jobs = []
    for name in FEATURES:
        try:
            module = import_module(f"ktc.{name}.jobs")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"ktc.{name}", f"ktc.{name}.jobs"):
                raise
            continue
        jobs.extend(getattr(module, "JOBS", []))
    ids = [job["id"] for job in jobs]
    duplicates = {job_id for job_id in ids if ids.count(job_id) > 1}
    if duplicates:
        raise RuntimeError(f"duplicate scheduler job ids: {sorted(duplicates)}")
    return jobs


def enabled_jobs(app):
    """The jobs whose `requires` setting (if any) is set: reading replies needs KTC_IMAP_URL."""
    return [spec for spec in collect_jobs() if not spec.get("requires") or app.config.get(spec["requires"])]


def run_job(app, job_id, func):
    """Run one job inside a fresh app context as one unit of work; a failure is logged and rolled back, never fatal."""
    with app.app_context():
        try:
            with unit_of_work():
                result = func()
            log.info("job %s done: %s", job_id, result)
            return result
        except Exception:
            log.exception("job %s failed", job_id)
            return None
        finally:
            db.session.remove()


def build_scheduler(app, scheduler_class=BlockingScheduler):
    """A scheduler with every job registered under its explicit id."""
    scheduler = scheduler_class(
        timezone="UTC",
        job_defaults={
            # APScheduler's default grace of 1 s would skip a run delayed by a busy machine.
            "misfire_grace_time": app.config["KTC_SCHEDULER_MISFIRE_GRACE"],
            "coalesce": True,
            "max_instances": 1,
        },
    )
    for spec in enabled_jobs(app):
        options = dict(spec)
        job_id = options.pop("id")
        func = options.pop("func")
        trigger = options.pop("trigger")
        options.pop("requires", None)
        scheduler.add_job(run_job, trigger, args=(app, job_id, func), id=job_id, name=job_id,
                          replace_existing=True, **options)
    return scheduler


def run_all_once(app):
    """Run every job once, in order (for cron-style use and for checking a deployment)."""
    return {spec["id"]: run_job(app, spec["id"], spec["func"]) for spec in enabled_jobs(app)}
