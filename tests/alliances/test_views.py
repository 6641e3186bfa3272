"""The pages of the alliances app: the reusable view tests for every model, and the fund ledger."""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from alliances.choices import AllianceScope, FundEntryKind, PairingMode, PairingPath, UnitKind
from alliances.models import (
    Advisor,
    Alliance,
    AllianceActivity,
    AllianceEvaluation,
    AllianceMembership,
    Enterprise,
    FundEntry,
    JointCommittee,
    JointCommitteeVillage,
    MemberUnit,
    Pairing,
    PairingOutcome,
    ResponsibilityItem,
    TaskForceUnit,
)
from alliances.services import record_fund_entry
from alliances.views import (
    AdvisorViews,
    AllianceActivityViews,
    AllianceEvaluationViews,
    AllianceMembershipViews,
    AllianceViews,
    EnterpriseViews,
    FundEntryViews,
    JointCommitteeViews,
    JointCommitteeVillageViews,
    MemberUnitViews,
    PairingOutcomeViews,
    PairingViews,
    ResponsibilityItemViews,
    TaskForceUnitViews,
)
from tests.alliances.listing import ListedByLink
from tests.viewtests import ModelViewTests
from villages.models import Village
from wenshang.kernel.validators import credit_check_char

DAY = dt.date(2024, 3, 1)


# -- records in a township ------------------------------------------------------------------------
def credit_code(seed):
    first = f"91370830{seed:09d}"
    return first + credit_check_char(first)


def alliance_in(township, n=0):
    return Alliance.objects.get_or_create(
        name=f"{township.name}共富联盟{n}", defaults={"scope": AllianceScope.TOWNSHIP, "township": township, "founded_on": DAY}
    )[0]


def unit_in(township, n=0):
    return MemberUnit.objects.get_or_create(
        name=f"{township.name}产业园{n}", defaults={"kind": UnitKind.PARK, "township": township}
    )[0]


def village_in(township, n=0):
    return Village.objects.get_or_create(code=f"{township.code}{230 + n:03d}", defaults={"township": township, "name": f"测试{n}村"})[0]


def enterprise_in(township, n=0):
    return Enterprise.objects.get_or_create(
        credit_code=credit_code(int(township.code[-3:]) * 1000 + n), defaults={"name": f"{township.name}企业{n}", "township": township}
    )[0]


def committee_in(township, n=0):
    return JointCommittee.objects.get_or_create(
        name=f"{township.name}示范区联合党委{n}", defaults={"township": township, "county_leader": "张县长", "established_on": DAY}
    )[0]


def pairing_in(township, n=0):
    return Pairing.objects.get_or_create(
        enterprise=enterprise_in(township, n), village=village_in(township),
        defaults={"mode": PairingMode.PROJECTS, "path": PairingPath.SPECIALTY, "start_date": DAY},
    )[0]


# -- the reusable view tests, one class per model -----------------------------------------------------
class TestAllianceViews(ModelViewTests):
    config = AllianceViews
    changes = {"name": "改名共富联盟", "description": "联建共富"}

    def make(self, township, n=0):
        return Alliance.objects.create(name=f"{township.name}测试联盟{n}", scope=AllianceScope.TOWNSHIP, township=township, founded_on=DAY)

    def form_data(self, township):
        return {"name": "新建共富联盟", "scope": "township", "township": township.pk, "founded_on": "2024-03-01"}


class TestMemberUnitViews(ModelViewTests):
    config = MemberUnitViews
    changes = {"secretary_name": "刘书记", "party_members": 12}

    def make(self, township, n=0):
        return MemberUnit.objects.create(name=f"{township.name}物流园{n}", kind=UnitKind.LOGISTICS, township=township)

    def form_data(self, township):
        return {"name": "新建单位", "kind": "park", "township": township.pk, "party_members": 8}


class TestAllianceMembershipViews(ListedByLink):
    config = AllianceMembershipViews
    changes = {"role": "lead"}

    def make(self, township, n=0):
        return AllianceMembership.objects.create(alliance=alliance_in(township), unit=unit_in(township, n), joined_on=DAY)

    def form_data(self, township):
        return {"alliance": alliance_in(township).pk, "unit": unit_in(township, 99).pk, "role": "member", "joined_on": "2024-03-02"}


class TestAllianceActivityViews(ModelViewTests):
    config = AllianceActivityViews
    changes = {"title": "轮值主题党日（改）", "participants": 45}

    def make(self, township, n=0):
        return AllianceActivity.objects.create(alliance=alliance_in(township), kind="theme_day", title=f"轮值主题党日{n}", date=DAY)

    def form_data(self, township):
        return {"alliance": alliance_in(township).pk, "kind": "joint_meeting", "title": "联席会议", "date": "2024-03-05", "participants": 20}


class TestResponsibilityItemViews(ModelViewTests):
    config = ResponsibilityItemViews
    changes = {"task": "建设冷链仓储（调整）"}

    def make(self, township, n=0):
        return ResponsibilityItem.objects.create(alliance=alliance_in(township), task=f"建设冷链仓储{n}", due_date=DAY)

    def form_data(self, township):
        return {"alliance": alliance_in(township).pk, "task": "培训电商人才", "due_date": "2024-06-30", "status": "open"}


class TestFundEntryViews(ListedByLink):
    config = FundEntryViews
    changes = {}  # entries are not edited (a correcting entry instead): see the ledger tests below

    def make(self, township, n=0):
        entry = FundEntry(alliance=alliance_in(township), date=DAY, kind=FundEntryKind.CONTRIBUTION, amount=Decimal(500 + n), purpose=f"缴存{n}")
        entry.full_clean()
        entry.save()
        return entry

    def form_data(self, township):
        return {"alliance": alliance_in(township).pk, "date": "2024-03-02", "kind": "contribution", "amount": "300", "purpose": "年度缴存"}


class TestAllianceEvaluationViews(ListedByLink):
    config = AllianceEvaluationViews
    changes = {"score": "88.5", "grade": "good"}

    def make(self, township, n=0):
        return AllianceEvaluation.objects.create(alliance=alliance_in(township), year=2015 + n, score=Decimal("92.0"), grade="excellent")

    def form_data(self, township):
        return {"alliance": alliance_in(township).pk, "year": 2024, "score": "90", "grade": "excellent"}


class TestJointCommitteeViews(ModelViewTests):
    config = JointCommitteeViews
    changes = {"county_leader": "李县长"}

    def make(self, township, n=0):
        return committee_in(township, n)

    def form_data(self, township):
        return {"name": "新建联合党委", "township": township.pk, "county_leader": "王县长", "established_on": "2024-03-01"}


class TestJointCommitteeVillageViews(ListedByLink):
    config = JointCommitteeVillageViews
    changes = {"department": "县农业农村局"}

    def make(self, township, n=0):
        return JointCommitteeVillage.objects.create(committee=committee_in(township), village=village_in(township, n), joined_on=DAY)

    def form_data(self, township):
        return {"committee": committee_in(township).pk, "village": village_in(township, 50).pk, "department": "县财政局", "joined_on": "2024-03-01"}


class TestAdvisorViews(ListedByLink):
    config = AdvisorViews
    changes = {"specialty": "果蔬种植", "phone": "13912345678"}

    def make(self, township, n=0):
        return Advisor.objects.create(name=f"顾问{n}", department="县农业农村局", joint_committee=committee_in(township), start_date=DAY)

    def form_data(self, township):
        return {"name": "新顾问", "department": "县商务局", "joint_committee": committee_in(township).pk, "start_date": "2024-03-01"}


class TestEnterpriseViews(ModelViewTests):
    config = EnterpriseViews
    changes = {"industry": "食品加工", "legal_representative": "赵经理"}

    def make(self, township, n=0):
        return enterprise_in(township, n)

    def form_data(self, township):
        return {"name": "新建企业", "credit_code": credit_code(999999), "township": township.pk}


class TestPairingViews(ListedByLink):
    config = PairingViews
    changes = {"status": "ended", "end_date": "2024-12-31"}

    def make(self, township, n=0):
        return pairing_in(township, n)

    def form_data(self, township):
        return {"enterprise": enterprise_in(township, 77).pk, "village": village_in(township).pk, "mode": "talent",
                "path": "talent", "status": "active", "start_date": "2024-03-01"}


class TestPairingOutcomeViews(ListedByLink):
    config = PairingOutcomeViews
    changes = {"jobs_added": 12, "note": "新增就业岗位"}

    def make(self, township, n=0):
        return PairingOutcome.objects.create(pairing=pairing_in(township), year=2015 + n, income_added=Decimal("10000"))

    def form_data(self, township):
        return {"pairing": pairing_in(township).pk, "year": 2024, "income_added": "25000", "jobs_added": 3}


class TestTaskForceUnitViews(ModelViewTests):
    config = TaskForceUnitViews
    editor = "admin_user"  # a county-level catalogue: no township, changed by county administrators
    changes = {"responsibility": "统筹协调", "is_lead": True}

    def make(self, township, n=0):
        return TaskForceUnit.objects.create(name=f"专班成员单位{n}", county=township.county)

    def form_data(self, township):
        return {"name": "县工商联", "responsibility": "组织企业结对"}

    def test_another_township_finds_nothing(self, client, users, township_a):
        # The task force is county-level (no township, ``scope_path = None``): township staff of
        # any township may READ it (so no 404), but may change nothing (403) and nothing changes.
        obj = self.make(township_a)
        before = self.snapshot(obj)
        self.login(client, users, self.outsider)
        assert str(obj) in client.get(self.url("list")).content.decode()
        assert client.get(self.url("detail", obj)).status_code == 200
        for url in (self.url("edit", obj), self.url("delete", obj)):
            assert client.get(url).status_code == 403, url
        assert client.post(self.url("edit", obj), self.post_data(obj)).status_code == 403
        assert client.post(self.url("delete", obj)).status_code == 403
        assert self.snapshot(obj) == before


# -- the alliance fund ----------------------------------------------------------------------------------
@pytest.fixture
def alliance(township_a):
    return alliance_in(township_a)


@pytest.fixture
def funded(alliance, staff_a):
    """The alliance's fund holds 100 yuan."""
    return record_fund_entry(user=staff_a, alliance=alliance, kind=FundEntryKind.CONTRIBUTION, amount=Decimal("100"), date=DAY, purpose="缴存")


def entry_url(action, entry=None):
    return reverse(FundEntryViews.url_name(action), args=[entry.pk] if entry else [])


@pytest.mark.django_db
class TestFundLedger:
    def test_the_form_shows_the_current_balance(self, client, staff_a, alliance, funded):
        client.force_login(staff_a)
        page = client.get(entry_url("add"), {"alliance": alliance.pk}).content.decode()
        assert "100.00" in page
        assert f"{alliance.name}" in page

    def test_an_overdraft_is_refused_next_to_the_amount_and_nothing_is_written(self, client, staff_a, alliance, funded):
        client.force_login(staff_a)
        response = client.post(entry_url("add"), {"alliance": alliance.pk, "date": "2024-03-02", "kind": "disbursement",
                                                  "amount": "150", "purpose": "帮扶"})
        assert response.status_code == 200
        assert "该笔支出超出共富联盟公积金余额：当前余额为100.00元。" in response.content.decode()
        assert response.context["form"].errors["amount"] == ["该笔支出超出共富联盟公积金余额：当前余额为100.00元。"]
        assert FundEntry.objects.count() == 1
        assert alliance.fund_balance() == Decimal("100")

    def test_a_disbursement_within_the_balance_is_recorded_with_the_balance_after(self, client, staff_a, alliance, funded):
        client.force_login(staff_a)
        response = client.post(entry_url("add"), {"alliance": alliance.pk, "date": "2024-03-02", "kind": "disbursement",
                                                  "amount": "60", "purpose": "帮扶", "balance_after": "9999"})
        assert response.status_code == 302
        entry = FundEntry.objects.latest("pk")
        assert entry.balance_after == Decimal("40")  # computed, whatever was posted
        assert alliance.fund_balance() == Decimal("40")

    def test_an_entry_is_not_editable(self, client, staff_a, alliance, funded):
        before = FundEntry.objects.filter(pk=funded.pk).values().first()
        client.force_login(staff_a)
        detail = client.get(entry_url("detail", funded)).content.decode()
        assert entry_url("edit", funded) not in detail  # no edit button
        assert entry_url("add") in detail  # but a correcting entry can be recorded
        assert client.get(entry_url("edit", funded)).status_code == 403
        response = client.post(entry_url("edit", funded), {"alliance": alliance.pk, "date": "2024-03-01", "kind": "contribution",
                                                           "amount": "1000", "purpose": "改"})
        assert response.status_code == 403
        assert FundEntry.objects.filter(pk=funded.pk).values().first() == before

    def test_removing_a_spent_contribution_is_refused_with_the_message(self, client, staff_a, alliance, funded):
        record_fund_entry(user=staff_a, alliance=alliance, kind=FundEntryKind.DISBURSEMENT, amount=Decimal("60"), date=DAY, purpose="支出")
        client.force_login(staff_a)
        response = client.post(entry_url("delete", funded), follow=True)
        assert response.status_code == 200
        assert response.redirect_chain[-1][0] == entry_url("detail", funded)
        assert "删除该笔缴存后，共富联盟公积金余额将为负数，不能删除。" in response.content.decode()
        assert FundEntry.objects.filter(pk=funded.pk).exists()
        assert alliance.fund_balance() == Decimal("40")

    def test_a_mistaken_disbursement_can_be_removed(self, client, staff_a, alliance, funded):
        out = record_fund_entry(user=staff_a, alliance=alliance, kind=FundEntryKind.DISBURSEMENT, amount=Decimal("60"), date=DAY, purpose="误录")
        client.force_login(staff_a)
        assert client.post(entry_url("delete", out)).status_code == 302
        assert alliance.fund_balance() == Decimal("100")

    def test_the_alliance_page_shows_the_balance(self, client, official, alliance, funded):
        client.force_login(official)
        page = client.get(reverse(AllianceViews.url_name("detail"), args=[alliance.pk])).content.decode()
        assert "100.00" in page
        assert entry_url("add") not in page  # a reader is not offered to record entries

    def test_another_township_cannot_add_to_the_fund(self, client, staff_b, alliance, funded):
        client.force_login(staff_b)
        response = client.post(entry_url("add"), {"alliance": alliance.pk, "date": "2024-03-02", "kind": "contribution",
                                                  "amount": "10", "purpose": "缴存"})
        assert response.status_code == 200 and "alliance" in response.context["form"].errors
        assert FundEntry.objects.count() == 1


# -- the township filter of every list (through the model's own path to its township) -------------------
WITH_TOWNSHIP = [cls for cls in list(globals().values())
                 if isinstance(cls, type) and issubclass(cls, ModelViewTests) and cls.__name__.startswith("Test")
                 and "township" in cls.config.filterset_class.base_filters]


@pytest.mark.django_db
@pytest.mark.parametrize("case", WITH_TOWNSHIP, ids=lambda c: c.config.plural)
def test_the_township_filter_finds_the_township_records(case, client, admin_user, township_a, township_b):
    obj = case().make(township_a)
    link = f'href="{reverse(case.config.url_name("detail"), args=[obj.pk])}"'
    client.force_login(admin_user)
    assert link in client.get(case.config.list_url(), {"township": township_a.pk}).content.decode()
    assert link not in client.get(case.config.list_url(), {"township": township_b.pk}).content.decode()


def test_the_ledger_filters_by_date(client, staff_a, alliance, funded):
    client.force_login(staff_a)
    link = f'href="{entry_url("detail", funded)}"'
    assert link in client.get(entry_url("list"), {"date_after": "2024-03-01", "date_before": "2024-03-01"}).content.decode()
    assert link not in client.get(entry_url("list"), {"date_after": "2024-03-02"}).content.decode()
