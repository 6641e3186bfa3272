"""The coverage board, the request form, progress, downloads and versions, for each role."""
import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from wenshang.reports import data, services, tasks
from wenshang.reports.models import Report

pytestmark = pytest.mark.django_db


def test_the_survey_menu_leads_to_the_board_and_the_reports(client, official, survey):
    client.force_login(official)
    response = client.get(reverse("reports:coverage"))
    survey_menu = str(response.context["MENU_HTML"]).split(">大调研<", 1)[1]
    assert f'href="{reverse("reports:coverage")}"' in survey_menu and f'href="{reverse("reports:list")}"' in survey_menu


def test_the_coverage_board_shows_villages_not_yet_visited(client, official, survey):
    client.force_login(official)
    response = client.get(reverse("reports:coverage"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["round"] == survey["q2"]  # the quarter of the data's date (2024-06-30)
    assert [v["name"] for v in ctx["not_visited"]] == ["西石楼村", "北石楼村"]
    assert ctx["totals"] == {"villages": 4, "visited": 2, "open": 2, "overdue": 1, "coverage": 50.0}
    townships = {g["name"]: g for g in ctx["by_township"]}
    assert (townships["寅寺镇"]["visited"], townships["寅寺镇"]["missing"]) == (1, 2)
    assert [(g["name"], g["visited"], g["villages"]) for g in ctx["by_zone"]] == [("寅寺示范区联合党委", 1, 2)]
    assert "西石楼村" in response.content.decode()
    earlier = client.get(reverse("reports:coverage"), {"round": survey["q1"].pk}).context
    assert [v["name"] for v in earlier["not_visited"]] == ["南旺村", "北石楼村"]  # by township code


def test_township_staff_see_their_townships_part(client, staff_b, survey):
    client.force_login(staff_b)
    ctx = client.get(reverse("reports:coverage")).context
    assert [g["name"] for g in ctx["by_township"]] == ["南旺镇"]
    assert ctx["not_visited"] == [] and ctx["totals"]["villages"] == 1


def test_requesting_watching_and_downloading_a_report(client, official, survey, reports_dir, django_capture_on_commit_callbacks):
    client.force_login(official)
    page = client.get(reverse("reports:list"))
    assert ("county:370830", "全县") in [(k, str(v)) for k, v in page.context["form"].fields["subject"].choices]
    with mock.patch.object(tasks.build_report, "apply_async") as send, django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:list"), {"period": "2024-2", "subject": "county:370830"}, follow=True)
    assert send.call_count == 1
    report = Report.objects.get()
    assert response.redirect_chain[-1][0] == reverse("reports:detail", args=[report.pk])
    assert "报告正在后台生成" in response.content.decode()
    assert report.requested_by == official and report.status == "queued"
    progress = client.get(reverse("reports:progress", args=[report.pk])).json()
    assert progress["status"] == "queued" and not progress["finished"] and not progress["waiting_for_queue"]
    assert client.get(reverse("reports:download", args=[report.pk, "pdf"])).status_code == 404  # not made yet
    services.run(report.pk, task_id=report.task_id)
    assert client.get(reverse("reports:progress", args=[report.pk])).json()["finished"] is True
    detail = client.get(reverse("reports:detail", args=[report.pk]))
    assert reverse("reports:download", args=[report.pk, "pdf"]) in detail.content.decode()
    pdf = client.get(reverse("reports:download", args=[report.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(reverse("reports:download", args=[report.pk, "xlsx"]))
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    assert client.get(reverse("reports:download", args=[report.pk, "doc"])).status_code == 404


def test_a_down_broker_answers_at_once_and_keeps_the_request(client, official, survey, django_capture_on_commit_callbacks):
    client.force_login(official)
    with mock.patch.object(tasks.build_report, "apply_async", side_effect=ConnectionError("refused")), \
            django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:list"), {"period": "2024-2", "subject": "county:370830"}, follow=True)
    text = response.content.decode()
    # queued as soon as its row is committed; the queue's trouble is not the person's yet
    assert ("queued" in text or "已进入队列" in text) and 'id="report-waiting" data-progress-waiting hidden' in text
    report = Report.objects.get()
    assert report.status == "queued" and report.enqueued_at is None
    with mock.patch.object(tasks.build_report, "apply_async", side_effect=ConnectionError("refused")):
        assert client.get(reverse("reports:progress", args=[report.pk])).json()["waiting_for_queue"] is False
    # still unsent after WORK_QUEUE_WARN_SECONDS: now the page says the queue is not answering
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - dt.timedelta(seconds=settings.WORK_QUEUE_WARN_SECONDS + 1))
    from django.core.cache import cache

    cache.clear()
    with mock.patch.object(tasks.build_report, "apply_async", side_effect=ConnectionError("refused")):
        assert client.get(reverse("reports:progress", args=[report.pk])).json()["waiting_for_queue"] is True
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'id="report-waiting" data-progress-waiting>' in page
    cache.clear()
    with mock.patch.object(tasks.build_report, "apply_async") as send:  # the broker is back: watching the page sends it
        state = client.get(reverse("reports:progress", args=[report.pk])).json()
    assert send.call_count == 1 and state["waiting_for_queue"] is False


def test_scope_of_reports(client, staff_a, staff_b, survey):
    county_report, _ = services.request_report(subject=data.subject_from_key("county"), year=2024, quarter=2, send=False)
    own, _ = services.request_report(subject=data.subject_from_key("township:370830104"), year=2024, quarter=2, send=False)
    client.force_login(staff_a)
    subjects = [k for k, _v in client.get(reverse("reports:list")).context["form"].fields["subject"].choices]
    assert subjects == ["township:370830104", f"zone:{survey['committee'].pk}"]
    assert client.get(reverse("reports:detail", args=[county_report.pk])).status_code == 404
    assert client.get(reverse("reports:detail", args=[own.pk])).status_code == 200
    assert list(client.get(reverse("reports:list")).context["page"].object_list) == [own]
    response = client.post(reverse("reports:list"), {"period": "2024-2", "subject": "county"})
    assert response.status_code == 400  # not among the choices
    client.force_login(staff_b)
    assert client.get(reverse("reports:detail", args=[own.pk])).status_code == 404
    with pytest.raises(services.NotAllowed):
        services.request_report(subject=data.subject_from_key("township:370830104"), year=2024, quarter=2, user=staff_b)


def test_anonymous_users_are_sent_to_login(client, survey):
    for name in ("reports:list", "reports:coverage"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_the_board_queries_do_not_grow_with_villages(client, official, survey):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from villages.models import Village

    client.force_login(official)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reports:coverage"))
    Village.objects.bulk_create([Village(township=survey["b"], code=f"370830102{300 + i}", name=f"新村{i}") for i in range(15)])
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("reports:coverage"))
    assert len(response.context["not_visited"]) == 17
    assert len(many) == len(few)
