"""The web flow: template, upload, preview with every problem, 确认导入 once, history, rights."""
import io

import openpyxl
import pytest
from django.urls import reverse

from finance.models import Homestead
from wenshang.imports.models import ImportJob
from wenshang.kernel.choices import Role
from wenshang.kernel.models import ObjectChange

from .conftest import HOMESTEAD_HEADERS, parcel_row, table, write_csv

pytestmark = pytest.mark.django_db


def upload(client, path, entity="homesteads"):
    with open(path, "rb") as fh:
        return client.post(reverse("imports:upload", args=[entity]), {"file": fh})


@pytest.fixture
def parcels_csv(tmp_path, village_a):
    return write_csv(tmp_path / "宅基地.csv", table(HOMESTEAD_HEADERS, [parcel_row(village_a.code, n) for n in (1, 2, 3)]))


def test_the_upload_page_explains_the_columns(client, staff_a):
    client.force_login(staff_a)
    page = client.get(reverse("imports:upload", args=["homesteads"]))
    assert page.status_code == 200
    text = page.content.decode()
    for header in HOMESTEAD_HEADERS:
        assert header in text
    assert reverse("imports:template", args=["homesteads"]) in text
    assert 'enctype="multipart/form-data"' in text


def test_the_template_downloads_as_xlsx(client, staff_a):
    client.force_login(staff_a)
    response = client.get(reverse("imports:template", args=["homesteads"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb["数据"][1]] == HOMESTEAD_HEADERS


def test_a_reader_gets_403(client, official, parcels_csv):
    client.force_login(official)
    assert client.get(reverse("imports:upload", args=["homesteads"])).status_code == 403
    assert client.get(reverse("imports:template", args=["homesteads"])).status_code == 403
    assert upload(client, parcels_csv).status_code == 403
    assert ImportJob.objects.count() == 0 and Homestead.objects.count() == 0


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("imports:upload", args=["homesteads"]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_entity_that_cannot_be_imported(client, staff_a):
    client.force_login(staff_a)
    assert client.get("/imports/townships/").status_code == 404


def test_preview_then_commit_once(client, staff_a, village_a, parcels_csv):
    client.force_login(staff_a)
    response = upload(client, parcels_csv)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:job", args=[job.pk])
    assert (job.status, job.user, job.township, job.entity, job.original_name) == ("ready", staff_a, staff_a.township, "homesteads", "宅基地.csv")
    assert (job.total_rows, job.created_rows, job.updated_rows, job.problems, job.progress) == (3, 3, 0, [], 100)
    assert Homestead.objects.count() == 0  # nothing written before the confirmation

    preview = client.get(response["Location"]).content.decode()
    commit_url = reverse("imports:commit", args=[job.pk])
    assert commit_url in preview
    assert "import-problems" not in preview

    logged = ObjectChange.objects.count()
    response = client.post(commit_url)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_rows, job.progress) == ("done", 3, 100) and job.finished_at
    assert Homestead.objects.filter(village=village_a).count() == 3
    entries = ObjectChange.objects.filter(content_type__model="homestead")
    assert entries.count() == 3
    # the source names the file: the record's history reads 导入：<file>（<user>）
    assert set(entries.values_list("user__username", "source", "action")) == {("staff_a", f"import:{job.original_name}", "create")}
    assert ObjectChange.objects.count() == logged + 3

    # The same job confirmed again (a double click, the back button): nothing more.
    response = client.post(commit_url, follow=True)
    assert Homestead.objects.count() == 3
    assert ObjectChange.objects.count() == logged + 3
    assert commit_url not in response.content.decode()


def test_the_same_file_uploaded_again_updates_instead_of_duplicating(client, staff_a, parcels_csv):
    client.force_login(staff_a)
    upload(client, parcels_csv)
    client.post(reverse("imports:commit", args=[ImportJob.objects.get().pk]))
    upload(client, parcels_csv)
    second = ImportJob.objects.order_by("-pk").first()
    assert (second.status, second.created_rows, second.updated_rows) == ("ready", 0, 0)
    assert "3" in client.get(reverse("imports:job", args=[second.pk])).content.decode()
    client.post(reverse("imports:commit", args=[second.pk]))
    assert Homestead.objects.count() == 3


def test_problems_are_listed_with_row_column_and_value(client, staff_a, village_a, village_b, tmp_path):
    rows = [parcel_row(village_a.code, 1), parcel_row(village_b.code, 2), parcel_row(village_a.code, 3, 使用权人身份证号码="123")]
    path = write_csv(tmp_path / "bad.csv", table(HOMESTEAD_HEADERS, rows), encoding="gbk")
    client.force_login(staff_a)
    upload(client, path)
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    assert [(p["row"], p["col"], p["column"]) for p in job.problems] == [(3, "A", "村代码"), (4, "E", "使用权人身份证号码")]
    page = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert "import-problems" in page and "南旺村" in page and "村代码" in page
    assert reverse("imports:commit", args=[job.pk]) not in page
    assert client.post(reverse("imports:commit", args=[job.pk])).status_code == 302
    assert Homestead.objects.count() == 0


def test_personal_data_in_problems_is_masked_when_shown(client, staff_a, village_b, tmp_path):
    row = parcel_row(village_b.code, 1)
    path = write_csv(tmp_path / "bad.csv", table(HOMESTEAD_HEADERS, [{**row, "使用权人身份证号码": "370830197001010011"}]))
    client.force_login(staff_a)
    upload(client, path)
    page = client.get(reverse("imports:job", args=[ImportJob.objects.get().pk])).content.decode()
    assert "370830197001010011" not in page
    assert "370830********0011" in page


def test_a_long_problem_list_is_paginated(client, staff_a, village_a, tmp_path):
    rows = [parcel_row(village_a.code, n, 用途="住人") for n in range(1, 131)]
    client.force_login(staff_a)
    upload(client, write_csv(tmp_path / "many.csv", table(HOMESTEAD_HEADERS, rows)))
    job = ImportJob.objects.get()
    first = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    second = client.get(reverse("imports:job", args=[job.pk]) + "?page=2").content.decode()
    assert first.count("<code>住人</code>") == 100 and second.count("<code>住人</code>") == 30


def test_a_file_above_the_limit_is_refused_at_upload(client, staff_a, parcels_csv, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(staff_a)
    response = upload(client, parcels_csv)
    assert response.status_code == 400
    assert "MB" in response.content.decode()
    assert ImportJob.objects.count() == 0


def test_an_empty_upload_is_refused(client, staff_a, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    client.force_login(staff_a)
    assert upload(client, empty).status_code == 400
    assert ImportJob.objects.count() == 0


def test_a_file_that_is_not_a_spreadsheet(client, staff_a, tmp_path):
    picture = tmp_path / "photo.xlsx"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300))
    client.force_login(staff_a)
    upload(client, picture)
    job = ImportJob.objects.get()
    assert job.status == "invalid" and job.problems[0]["code"] == "not_spreadsheet"


def test_jobs_stay_within_scope_and_only_their_owner_commits(client, staff_a, staff_b, make_user, township_a, parcels_csv):
    client.force_login(staff_a)
    upload(client, parcels_csv)
    job = ImportJob.objects.get()
    client.force_login(staff_b)
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("imports:progress", args=[job.pk])).status_code == 404
    assert client.post(reverse("imports:commit", args=[job.pk])).status_code == 404
    colleague = make_user("staff_a2", role=Role.TOWNSHIP, township=township_a)
    client.force_login(colleague)
    assert client.get(reverse("imports:job", args=[job.pk])).status_code == 200
    assert client.post(reverse("imports:commit", args=[job.pk])).status_code == 403
    assert Homestead.objects.count() == 0


def test_the_progress_endpoint(client, staff_a, parcels_csv):
    client.force_login(staff_a)
    upload(client, parcels_csv)
    data = client.get(reverse("imports:progress", args=[ImportJob.objects.get().pk])).json()
    assert (data["status"], data["progress"], data["finished"], data["created_rows"]) == ("ready", 100, True, 3)


def test_the_history_lists_the_users_imports(client, staff_a, admin_user, parcels_csv):
    client.force_login(staff_a)
    upload(client, parcels_csv)
    page = client.get(reverse("imports:jobs")).content.decode()
    assert "宅基地.csv" in page and reverse("imports:upload", args=["homesteads"]) in page
    client.force_login(admin_user)
    assert "宅基地.csv" not in client.get(reverse("imports:jobs")).content.decode()
    assert "宅基地.csv" in client.get(reverse("imports:jobs") + "?all=1").content.decode()


def test_list_pages_show_the_import_button_to_those_who_may_add(client, staff_a, official):
    client.force_login(staff_a)
    villages = client.get(reverse("villages:village_list")).content.decode()
    assert reverse("imports:upload", args=["villages"]) in villages
    townships = client.get(reverse("villages:township_list")).content.decode()
    assert "/imports/" not in townships
    client.force_login(official)
    assert "/imports/" not in client.get(reverse("villages:village_list")).content.decode()
