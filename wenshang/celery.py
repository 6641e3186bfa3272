"""Celery, configured from Django settings (``CELERY_*``), with tasks found in every app.

The changes a task makes are logged as the task's by ``wenshang.kernel.audit`` (its ``task_prerun`` and
``task_postrun`` handlers): this module is imported with the settings, before the models can be."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenshang.settings.local")

app = Celery("wenshang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
