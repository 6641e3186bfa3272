"""Wenshang county rural-revitalization portal: the project package and its shared kernel."""
from wenshang.celery import app as celery_app

__all__ = ["celery_app"]
