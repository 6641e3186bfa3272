"""A city's report (issue 14, item 6): its counties compared, one page per county plus rankings; each
county's figures are those of the county's own report; made by the worker's code as PDF and XLSX;
asked for and read by the city's users only."""
import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from villages.models import City, County, SurveyAssignment, SurveyRound, Township, Village
from wenshang.kernel.choices import Role
from wenshang.reports import data, services, views
from wenshang.reports.models import Report

from .fixtures import problem, visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(survey, county):
    """济宁市: 汶上县 (the survey fixture's) and 任城区 (3 villages, 1 visited, with one overdue problem);
    兰山区 of 临沂市 beside them, never in 济宁's report."""
    jining = City.objects.create(code="370800", name="济宁市")
    linyi = City.objects.create(code="371300", name="临沂市")
    county.city = jining
    county.save()
    rencheng = County.objects.create(code="370811", name="任城区", city=jining)
    lanshan = County.objects.create(code="371302", name="兰山区", city=linyi)
    town = Township.objects.create(county=rencheng, code="370811106", name="唐口街道")
    villages = [Village.objects.create(township=town, code=f"37081110620{i}", name=f"唐口{i}村") for i in range(1, 4)]
    q2 = SurveyRound.objects.create(county=rencheng, year=2024, quarter=2, start_date=dt.date(2024, 4, 1),
                                    end_date=dt.date(2024, 6, 30), theme="任城区二季度大调研")
    SurveyAssignment.objects.create(round=q2, village=villages[0], leader_name="任城包村领导")
    problem(visit(q2, villages[0], dt.date(2024, 5, 3)), "governance", deadline=dt.date(2024, 6, 1))
    far = Township.objects.create(county=lanshan, code="371302107", name="兰山试点镇")
    Village.objects.create(township=far, code="371302107201", name="兰山试点村")
    return {"jining": jining, "linyi": linyi, "wenshang": county, "rencheng": rencheng, "lanshan": lanshan}


def subject(city):
    return data.subject_from_key(f"city:{city['jining'].code}")


def value(rows, label):
    return next(r["value"] for r in rows if r["label"] == label)


def test_each_county_s_part_is_its_own_report_and_the_counties_are_ranked(city):
    report = data.collect(subject(city), 2024, 2)
    assert report["scope"] == "city" and report["title"] == "济宁市2024年第二季度乡村振兴大调研报告"
    assert [c["name"] for c in report["counties"]] == ["任城区", "汶上县"]  # by division code; 兰山区 is Linyi's
    for part, county in zip(report["counties"], (city["rencheng"], city["wenshang"])):
        own = data.collect(data.Subject("county", county=county), 2024, 2)
        assert part["summary"] == own["summary"] and part["indicators"] == own["indicators"]
        assert part["coverage"] == own["coverage"] and part["villages"] == len(own["villages"])
    rencheng, wenshang = report["counties"]
    assert value(rencheng["summary"], "村（社区）数") == 3 and value(rencheng["summary"], "已走访村数") == 1
    assert value(wenshang["summary"], "村（社区）数") == 4 and value(wenshang["summary"], "已走访村数") == 2
    assert value(report["totals"], "村（社区）数") == 7 and value(report["totals"], "已走访村数") == 3
    assert value(report["totals"], "走访覆盖率") == 42.9
    coverage = next(r for r in report["rankings"] if r["label"] == "走访覆盖率")
    assert [(r["rank"], r["county"], r["value"]) for r in coverage["rows"]] == [(1, "汶上县", 50.0), (2, "任城区", 33.3)]
    overdue = next(r for r in report["rankings"] if r["label"] == "其中逾期问题")  # one each: the same rank
    assert [(r["rank"], r["county"], r["value"]) for r in overdue["rows"]] == [(1, "任城区", 1), (1, "汶上县", 1)]


def test_equal_values_share_a_rank_and_missing_ones_come_last():
    assert data.rank([3, 5, 3, None]) == [2, 1, 2, None]
    assert data.rank([3, 5, 3, None], higher_first=False) == [1, 3, 1, None]


def test_the_city_report_is_made_as_a_pdf_with_a_page_per_county_and_a_workbook(city, reports_dir, make_user):
    user = make_user("city_jn", role=Role.OFFICIAL, city=city["jining"])
    report, created = services.request_report(subject=subject(city), year=2024, quarter=2, user=user, send=False)
    assert created and report.scope == "city" and report.city == city["jining"] and report.county is None
    assert services.run(report.pk) == Report.Status.DONE
    report.refresh_from_db()
    assert report.message.startswith("共 2 个县（市、区）")
    pages = [p.extract_text() for p in PdfReader(reports_dir.parent / report.pdf.name).pages]
    assert report.pages == len(pages)
    text = "\n".join(pages)
    for heading in ("一、总体情况", "二、各县（市、区）排名", "三、分县情况", "走访覆盖率（高者在前）", "其中逾期问题（低者在前）"):
        assert heading in text, heading
    county_pages = [i for i, page in enumerate(pages) if "任城区（370811）" in page or "汶上县（370830）" in page]
    assert len(county_pages) >= 3  # the contents, and a page of each county
    assert "兰山区" not in text
    assert "济宁市乡村振兴“三链融合”服务平台" in pages[0]  # the cover names the city's portal
    book = load_workbook(reports_dir.parent / report.xlsx.name, read_only=True)
    assert book.sheetnames == ["总体情况", "各县排名", "分县总体情况", "分县三链指标", "分县走访覆盖"]
    ranked = list(book["各县排名"].iter_rows(values_only=True))
    assert ranked[1][:3] == ("县（市、区）", "走访覆盖率（%）", "名次")
    assert {row[0]: row[1:3] for row in ranked[2:]} == {"任城区": (33.3, 2), "汶上县": (50.0, 1)}
    towns = list(book["分县走访覆盖"].iter_rows(values_only=True))[2:]
    assert ("任城区", "唐口街道", 3, 1, 33.3, 1, 1) in towns


def test_only_the_city_s_users_ask_for_and_read_its_report(city, reports_dir, make_user, staff_a):
    city_user = make_user("city_jn", role=Role.OFFICIAL, city=city["jining"])
    other_city = make_user("city_ly", role=Role.OFFICIAL, city=city["linyi"])
    county_user = make_user("official_a", role=Role.OFFICIAL, county=city["wenshang"])
    root = make_user("root", role=Role.OFFICIAL, is_superuser=True)
    staff_a.refresh_from_db()
    s = subject(city)
    assert services.may_request(city_user, s) and services.may_request(root, s)
    assert not services.may_request(other_city, s) and not services.may_request(county_user, s)
    assert not services.may_request(staff_a, s)
    with pytest.raises(services.NotAllowed):
        services.request_report(subject=s, year=2024, quarter=2, user=county_user, send=False)
    assert ("city:370800", "济宁市（各县市区比较）") in [(k, str(label)) for k, label in views.subject_choices(city_user)]
    assert not any(k.startswith("city:") for k, _ in views.subject_choices(county_user))
    assert [k for k, _ in views.subject_choices(other_city) if k.startswith("city:")] == ["city:371300"]
    city_report, _ = services.request_report(subject=s, year=2024, quarter=2, user=city_user, send=False)
    county_report, _ = services.request_report(subject=data.Subject("county", county=city["wenshang"]), year=2024,
                                               quarter=2, user=county_user, send=False)
    assert county_report.city == city["jining"]
    assert set(Report.objects.restrict(city_user, "view")) == {city_report, county_report}
    assert set(Report.objects.restrict(county_user, "view")) == {county_report}
    assert set(Report.objects.restrict(other_city, "view")) == set()


def test_the_quarter_s_schedule_makes_each_city_s_report(city, reports_dir):
    made = services.quarterly(today=dt.date(2024, 7, 1))
    subjects = [r.subject for r in made]
    assert subjects.count("city:370800") == 1 and "city:371300" in subjects
    assert subjects.index("city:370800") < subjects.index("county:370830")


def test_the_command_makes_a_city_s_report_by_its_code(city, reports_dir, capsys):
    call_command("generate_report", "--year", "2024", "--quarter", "2", "--scope", "370800", "--sync")
    report = Report.objects.get()
    assert (report.subject, report.scope, report.status) == ("city:370800", "city", "done")
    assert "济宁市2024年第二季度乡村振兴大调研报告" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No such scope"):
        call_command("generate_report", "--year", "2024", "--quarter", "2", "--scope", "379900")


def test_the_coverage_board_of_a_city_compares_its_counties_and_opens_each(city, client, make_user):
    client.force_login(make_user("city_jn", role=Role.OFFICIAL, city=city["jining"]))
    response = client.get("/reports/coverage/", {"quarter": "2024-2"})
    assert response.status_code == 200
    rows = {r["county"].name: (r["villages"], r["visited"], r["coverage"], r["open"], r["overdue"])
            for r in response.context["rows"]}
    # each county's visits in its own round of 2024 Q2; 兰山区 (临沂市) is not the city's
    assert rows == {"任城区": (3, 1, 33.3, 1, 1), "汶上县": (4, 2, 50.0, 2, 1)}
    assert response.context["totals"]["missing"] == 4 and "coverage-not-visited" not in response.content.decode()
    rencheng = client.get("/reports/coverage/", {"county": city["rencheng"].pk})
    assert rencheng.status_code == 200 and rencheng.context["county"] == city["rencheng"]
    assert [v["name"] for v in rencheng.context["not_visited"]] == ["唐口2村", "唐口3村"]
    assert [g["name"] for g in rencheng.context["by_township"]] == ["唐口街道"]
    assert client.get("/reports/coverage/", {"county": city["lanshan"].pk}).status_code == 404


def test_a_county_s_users_see_their_county_s_board_only(city, client, make_user):
    client.force_login(make_user("official_a", role=Role.OFFICIAL, county=city["wenshang"]))
    response = client.get("/reports/coverage/")
    assert response.status_code == 200 and "rows" not in response.context
    assert {v["name"] for v in response.context["not_visited"]} == {"西石楼村", "北石楼村"}
    assert client.get("/reports/coverage/", {"county": city["rencheng"].pk}).status_code == 404


def test_the_portal_bears_the_name_of_the_user_s_place_at_no_query_more(city, client, make_user, staff_a):
    staff_a.refresh_from_db()
    for user, name in ((make_user("city_jn", role=Role.OFFICIAL, city=city["jining"]), "济宁市"),
                       (make_user("official_b", role=Role.OFFICIAL, county=city["rencheng"]), "任城区"),
                       (staff_a, "汶上县")):
        client.force_login(user)
        html = client.get("/reports/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert f'href="/">{name}乡村振兴“三链融合”服务平台</a>' in html, user.username
    assert data.Subject("county", county=city["rencheng"]).platform == "任城区乡村振兴“三链融合”服务平台"
