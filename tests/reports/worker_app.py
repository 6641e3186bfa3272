"""The portal's Celery app for the worker experiments of test_worker.py: ``REPORTS_TASK_FLAGS`` set to
``acks_late,reject_on_worker_lost`` as two 0/1 digits (e.g. ``10``) overrides the report task's flags."""
import os

from celery.signals import worker_init

from wenshang.celery import app

__all__ = ["app"]


@worker_init.connect
def _override_flags(**kwargs):
    flags = os.environ.get("REPORTS_TASK_FLAGS")
    if flags:
        task = app.tasks["reports.build"]
        task.acks_late, task.reject_on_worker_lost = flags[0] == "1", flags[1] == "1"
