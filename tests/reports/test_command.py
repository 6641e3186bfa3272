"""``manage.py generate_report``: queued for the worker, or ``--sync`` in the same process."""
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from wenshang.reports import tasks
from wenshang.reports.models import Report


@pytest.mark.django_db
def test_generate_report_sync_and_queued(survey, reports_dir, capsys, django_capture_on_commit_callbacks):
    call_command("generate_report", "--year", "2024", "--quarter", "2", "--scope", "370830104", "--sync")
    report = Report.objects.get()
    assert (report.subject, report.status, report.trigger) == ("township:370830104", "done", "command")
    assert "寅寺镇2024年第二季度乡村振兴大调研报告" in capsys.readouterr().out
    with mock.patch.object(tasks.build_report, "apply_async") as send, django_capture_on_commit_callbacks(execute=True):
        call_command("generate_report", "--year", "2024", "--quarter", "2", "--scope", "county")
    assert send.call_count == 1 and Report.objects.filter(subject="county:370830", status="queued").exists()  # the county by its code
    with pytest.raises(CommandError, match="No such scope"):
        call_command("generate_report", "--year", "2024", "--quarter", "2", "--scope", "999")
