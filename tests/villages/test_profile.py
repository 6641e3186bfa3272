"""The village profile (一村一档): every section, scope, a fixed number of queries, its figures."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from alliances.models import Alliance, AllianceMembership, Enterprise, JointCommittee, JointCommitteeVillage, MemberUnit, Pairing
from finance.models import Homestead, LandTransaction, Loan
from grids.models import Grid, GridWorker
from talent.models import FirstSecretary, FirstSecretaryBatch, Person, RecruitingStation, ReserveCadre, Returnee, VillageSecretary
from villages.models import CollectiveIncome, Project, SurveyProblem, SurveyRound, SurveyVisit, TierChange, VillageHonour
from wenshang.kernel.choices import Role
from wenshang.kernel.models import PersonalDataAccess
from wenshang.kernel.validators import credit_check_char, id_check_char

pytestmark = pytest.mark.django_db

SECTIONS = [
    "section-summary", "section-tier", "section-zone", "section-alliances", "section-grids", "section-people",
    "section-pairings", "section-projects", "section-loans", "section-homesteads", "section-land", "section-surveys",
    "section-problems", "section-income",
]
# session, user, the village, and one query per section (see villages.profile.gather)
PROFILE_QUERIES = 23
D = dt.date


def profile_url(village):
    return reverse("villages:village_profile", args=[village.pk])


def person(village, n, **kw):
    first = f"3708301985010{n:04d}"
    return Person.objects.create(
        name=kw.pop("name", f"村民{n}"), id_number=first + id_check_char(first), phone=f"139{n:08d}",
        township=village.township, village=village, **kw,
    )


def parcel(village, n, use="occupied", area="200.00"):
    first = f"3708301970020{n:04d}"
    return Homestead.objects.create(
        village=village, parcel_code=f"{village.code}JC{n:05d}", holder_name=f"户主{n}", holder_id_number=first + id_check_char(first),
        area=Decimal(area), use=use, surveyed_on=D(2023, 5, 1),
    )


def populate(village, n):
    """``n`` records of every kind the profile shows, hung on ``village`` (n ≥ 1)."""
    township = village.township
    seq = (village.pk % 50) * 100  # distinct per village, and short enough for 18-character ID numbers on any database
    TierChange.objects.create(village=village, date=D(2021, 3, 1), to_tier="foundation", reason="首次分类", decided_by="县委组织部")
    for i in range(1, n):
        TierChange.objects.create(village=village, date=D(2022, 1, i), from_tier="foundation" if i % 2 else "excellence",
                                  to_tier="excellence" if i % 2 else "foundation", reason="调整", decided_by="县委组织部")
    for i in range(n):
        grid = Grid.objects.create(village=village, code=f"{village.code}{i + 1:03d}", name=f"第{i + 1}网格")
        GridWorker.objects.create(grid=grid, name=f"网格员{i}", role="worker", phone=f"137{seq + i:08d}", start_date=D(2022, 1, 1))
        GridWorker.objects.create(grid=grid, name=f"网格长{i}", role="leader", phone=f"136{seq + i:08d}", start_date=D(2022, 1, 1))
    committee = JointCommittee.objects.create(name=f"{village}片区联合党委", township=township, county_leader="某县长",
                                              established_on=D(2022, 1, 1))
    JointCommitteeVillage.objects.create(committee=committee, village=village, department="县医疗保障局", joined_on=D(2022, 2, 1))
    unit = MemberUnit.objects.create(name=f"{village}党支部", kind="village", township=township, village=village)
    for i in range(n):
        alliance = Alliance.objects.create(name=f"{village}共富联盟{i}", scope="township", township=township, founded_on=D(2022, 1, 1))
        AllianceMembership.objects.create(alliance=alliance, unit=unit, joined_on=D(2022, 3, 1))
    for i in range(n):
        first = f"91370830MA{seq + i:07d}"
        enterprise = Enterprise.objects.create(name=f"{village}联建企业{i}", credit_code=first + credit_check_char(first), township=township)
        Pairing.objects.create(enterprise=enterprise, village=village, mode="project", path="industry", start_date=D(2023, 1, 1))
        project = Project.objects.create(name=f"{village}项目{i}", kind="other", township=township, investment=1000 * (i + 1), jobs=i)
        project.villages.add(village)
        Loan.objects.create(kind="luqing" if i % 2 else "project", bank="农商银行", borrower_name=f"借款人{i}", township=township,
                            village=village, amount=10000, annual_rate=Decimal("3.5"), term_months=12,
                            granted_on=D(2023, 1, 1), due_on=D(2024, 1, 1))
        parcel(village, seq + i, use="idle" if i == 0 else "occupied")
        LandTransaction.objects.create(village=village, contract_no=f"HT{seq + i}", date=D(2023, 6, 1), area_mu=Decimal("10"),
                                       price=Decimal("500000"), buyer="某公司", use="industrial", term_years=40)
    people = [person(village, seq + i) for i in range(n + 3)]
    VillageSecretary.objects.create(person=people[0], village=village, start_date=D(2018, 1, 1), end_date=D(2020, 12, 31))
    VillageSecretary.objects.create(person=people[1], village=village, start_date=D(2021, 1, 1))
    batch, _ = FirstSecretaryBatch.objects.get_or_create(year=2021, defaults={"name": "2021年选派", "start_date": D(2021, 6, 1)})
    FirstSecretary.objects.create(person=people[2], batch=batch, village=village, sending_unit="县财政局", start_date=D(2021, 6, 1))
    station, _ = RecruitingStation.objects.get_or_create(name="北京工作站", defaults={"city": "北京", "established_on": D(2021, 1, 1)})
    for i in range(n):
        ReserveCadre.objects.create(person=people[3 + i], village=village, mentor="老书记", since=D(2022, 1, 1))
        Returnee.objects.create(person=people[3 + i], station=station, returned_on=D(2022, 5, 1), from_city="北京", role="entrepreneur")
    round_, _ = SurveyRound.objects.get_or_create(year=2024, quarter=1, defaults={"start_date": D(2024, 1, 1), "end_date": D(2024, 3, 31)})
    for i in range(n):
        visit = SurveyVisit.objects.create(round=round_, village=village, visited_on=D(2024, 1, 1 + i), visitors="调研组",
                                           rating_organization=4, rating_industry=3, rating_talent=4, rating_governance=5,
                                           rating_environment=4, analysis="总体良好")
        SurveyProblem.objects.create(visit=visit, village=village, category="industry", description=f"问题{i}",
                                     responsible_unit="县农业农村局", deadline=D(2024, 2, 1) if i == 0 else D(2099, 1, 1))
        CollectiveIncome.objects.create(village=village, year=2021 + i, amount=100000 + i, operating=50000)
    VillageHonour.objects.create(village=village, kind="municipal_demo", year=2023)


def test_staff_see_every_section(client, staff_a, village_a):
    populate(village_a, 2)
    client.force_login(staff_a)
    response = client.get(profile_url(village_a))
    assert response.status_code == 200
    html = response.content.decode()
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    for text in ("寅寺镇", "第1网格", "网格员0", "东石楼村共富联盟0", "东石楼村片区联合党委", "县医疗保障局",
                 "东石楼村联建企业0", "东石楼村项目1", "县财政局", "北京", "问题0", "市级示范村"):
        assert text in html, text
    context = response.context
    assert context["secretary"][0].person.name == f"村民{(village_a.pk % 50) * 100 + 1}"  # the current one, not the former
    assert len(context["past_secretaries"]) == 1
    assert context["worker_count"] == 4 and len(context["reserve"]) == 2 and len(context["returnees"]) == 2
    assert context["alliance_count"] == 2 and context["zone"].department == "县医疗保障局"
    assert context["loan_totals"] == {"count": 2, "total": Decimal("20000.00")}
    assert sorted(row["kind"] for row in context["loans"]) == ["luqing", "project"]
    assert [(p.description, overdue) for p, url, overdue in context["problems"]] == [("问题0", True), ("问题1", False)]
    assert context["overdue_count"] == 1
    assert [i.year for i, share in context["incomes"]] == [2021, 2022]
    assert context["land_totals"]["count"] == 2 and context["land_totals"]["price"] == Decimal("1000000.00")


def test_breadcrumbs_and_the_link_from_the_village_page(client, staff_a, village_a):
    client.force_login(staff_a)
    response = client.get(profile_url(village_a))
    crumbs = response.context["breadcrumbs"]
    assert [label for label, url in crumbs] == ["汶上县", "寅寺镇", "东石楼村"]
    assert crumbs[2][1] == reverse("villages:village_detail", args=[village_a.pk])
    detail = client.get(reverse("villages:village_detail", args=[village_a.pk])).content.decode()
    assert profile_url(village_a) in detail


def test_an_empty_village_still_has_its_profile(client, staff_a, village_a):
    client.force_login(staff_a)
    response = client.get(profile_url(village_a))
    assert response.status_code == 200
    assert response.context["homesteads"] == {"count": 0, "area": 0, "idle": 0, "idle_share": None}
    assert response.context["secretary"] is None and response.context["zone"] is None


def test_outside_the_scope_is_404(client, staff_b, village_a, village_b):
    client.force_login(staff_b)
    assert client.get(profile_url(village_a)).status_code == 404
    assert client.get(profile_url(village_b)).status_code == 200
    assert client.get(reverse("villages:village_profile", args=[999999])).status_code == 404


def test_anonymous_is_sent_to_login(client, village_a):
    response = client.get(profile_url(village_a))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_fixed_number_of_queries(client, staff_a, staff_b, village_a, village_b, django_assert_num_queries):
    populate(village_a, 1)
    populate(village_b, 5)
    client.force_login(staff_a)
    client.get(profile_url(village_a))  # warm up (content types)
    with django_assert_num_queries(PROFILE_QUERIES):
        assert client.get(profile_url(village_a)).status_code == 200
    client.force_login(staff_b)
    with django_assert_num_queries(PROFILE_QUERIES):  # five of everything: the same queries
        assert client.get(profile_url(village_b)).status_code == 200


def test_homestead_figures(client, staff_a, village_a, village_b):
    parcel(village_a, 1, use="idle", area="120.50")
    parcel(village_a, 2, use="occupied", area="200.00")
    parcel(village_a, 3, use="occupied", area="180.00")
    parcel(village_a, 4, use="leased", area="99.50")
    parcel(village_b, 5, use="idle", area="300.00")  # another village: not counted
    client.force_login(staff_a)
    response = client.get(profile_url(village_a))
    assert response.context["homesteads"] == {"count": 4, "area": Decimal("600.00"), "idle": 1, "idle_share": 25.0}
    html = response.content.decode()
    assert 'data-figure="homestead-count">4<' in html
    assert 'data-figure="homestead-idle">1<' in html
    assert 'data-figure="homestead-idle-share">25.0%<' in html


def test_phones_masked_for_staff_and_recorded_when_shown(client, make_user, staff_a, township_a, village_a):
    populate(village_a, 1)
    worker = GridWorker.objects.get(name="网格员0")
    client.force_login(staff_a)
    html = client.get(profile_url(village_a)).content.decode()
    assert worker.phone not in html and worker.phone[:3] + "****" + worker.phone[-4:] in html
    for p in Person.objects.all():
        assert p.id_number not in html and p.phone not in html
    assert not PersonalDataAccess.objects.exists()
    clerk = make_user("clerk", role=Role.TOWNSHIP, township=township_a, sees_personal_data=True)
    client.force_login(clerk)
    html = client.get(profile_url(village_a)).content.decode()
    assert worker.phone in html
    contexts = set(PersonalDataAccess.objects.values_list("context", flat=True))
    assert contexts == {"profile:villages"}
    assert PersonalDataAccess.objects.count() == 2  # grid workers, the secretary


def test_the_problem_list_filters_overdue_problems_as_the_board_counts_them(client, staff_a, village_a):
    """Not closed and past the deadline (judged as of the day the data run to): here 问题0 (due
    2024-02-01) is overdue, 问题1 (due 2099) is not; a closed problem is never overdue."""
    populate(village_a, 2)
    SurveyProblem.objects.create(visit=SurveyVisit.objects.first(), village=village_a, category="industry", description="已销号",
                                 responsible_unit="县农业农村局", deadline=D(2024, 1, 15), status="closed", closed_on=D(2024, 1, 20))
    client.force_login(staff_a)
    overdue = client.get("/villages/survey-problems/", {"overdue": "true"}).context["page"].object_list
    assert [p.description for p in overdue] == ["问题0"]
    not_overdue = client.get("/villages/survey-problems/", {"overdue": "false"}).context["page"].object_list
    assert sorted(p.description for p in not_overdue) == sorted(["问题1", "已销号"])


# -- money reads one way (wenshang.kernel.formats) ------------------------------------------------------------
@pytest.mark.parametrize(("value", "shown"), [
    (None, "—"),
    (0, "0.00元"),
    (Decimal("9800"), "9,800.00元"),
    (Decimal("9999.99"), "9,999.99元"),
    (10000, "1.00万元"),
    (Decimal("1021000.00"), "102.10万元"),
    (Decimal("24900000"), "2,490.00万元"),
    (Decimal("371360000.00"), "3.71亿元"),
    (Decimal("22320000000"), "223.20亿元"),
    (Decimal("523000000000"), "5,230.00亿元"),
    (1221.42, "1,221.42元"),
])
def test_the_money_filter(value, shown):
    from django.template import Context, Template

    assert Template("{% load formats %}{{ v|money }}").render(Context({"v": value})) == shown


def test_areas_and_counts_read_with_thousands_separators():
    from wenshang.kernel import formats

    assert formats.area(Decimal("1221.42")) == "1,221.42亩"
    assert formats.area(Decimal("12345.6"), "m2") == "12,345.60 m²"
    assert formats.number(199900) == "199,900"


def test_the_profile_shows_amounts_as_money_never_raw(client, staff_a, village_a):
    Project.objects.create(name="光伏项目", kind="other", township=village_a.township, investment=Decimal("371360000.00"),
                           start_date=D(2023, 1, 1)).villages.add(village_a)
    CollectiveIncome.objects.create(village=village_a, year=2023, amount=Decimal("1021000.00"), operating=Decimal("9800"))
    for n in range(1, 4):
        parcel(village_a, n, area="4000.00")
    client.force_login(staff_a)
    html = client.get(profile_url(village_a)).content.decode()
    assert "371360000" not in html and "1021000" not in html
    assert "3.71亿元" in html and "102.10万元" in html and "9,800.00元" in html
    assert 'data-figure="homestead-area">12,000.00 m²<' in html
