"""Celery, configured from Django settings (``CELERY_*``), with tasks found in every app."""
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenshang.settings.local")

app = Celery("wenshang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

_tokens = {}


@task_prerun.connect
def _audit_task_start(task_id=None, task=None, **kwargs):
    """Changes made by a task are recorded in the change log as made by that task."""
    from wenshang import audit

    _tokens[task_id] = audit.push_actor(user=None, source=f"task:{task.name}")


@task_postrun.connect
def _audit_task_end(task_id=None, **kwargs):
    from wenshang import audit

    token = _tokens.pop(task_id, None)
    if token is not None:
        audit.pop_actor(token)
