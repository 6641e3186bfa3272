"""The report tasks. ``reports.build`` is acked late and rejected when its worker process is lost, so
that a worker killed mid-report re-runs it (measured: either alone loses the report, see
tests/reports/test_worker.py); its time limits stop a run that hangs.

Tasks import ``services`` (one way): ``services`` sends ``reports.build`` by its name
(``BUILD_TASK``), never importing this module."""
from celery import shared_task
from django.conf import settings

from wenshang.reports import services


@shared_task(
    bind=True,
    name=services.BUILD_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=settings.REPORT_SOFT_TIME_LIMIT,
    time_limit=settings.REPORT_TIME_LIMIT,
)
def build_report(self, report_id):
    """Make report ``report_id`` (its PDF and XLSX) under a renewed lease; returns its final status."""
    return services.run(report_id, task_id=self.request.id, renew=not (self.request.called_directly or self.request.is_eager))


@shared_task(name="reports.quarterly", ignore_result=True)
def quarterly_reports():
    """Beat, on the first day of each quarter: the county's and every township's report of the quarter before."""
    return [r.pk for r in services.quarterly()]


@shared_task(name="reports.send_queued", ignore_result=True)
def send_queued():
    """Beat, every minute: send the reports the broker did not take (the outbox)."""
    return services.send_queued()
