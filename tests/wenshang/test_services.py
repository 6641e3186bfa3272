"""Writes with rules: the alliance fund ledger, credit points, scoped saves of unsaved objects,
and the loan's cross-checks."""
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alliances.choices import AllianceScope, FundEntryKind
from alliances.models import Alliance, FundEntry
from alliances.services import delete_fund_entry, record_fund_entry
from finance.choices import LoanKind
from finance.models import Homestead, Loan
from grids.choices import CreditCategory
from grids.models import CreditRecord, Grid, Household
from grids.selectors import village_ranking
from grids.services import add_credit_record, delete_credit_record
from villages.models import Village
from wenshang.kernel import audit
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.scope import can
from wenshang.kernel.services import save_scoped
from wenshang.kernel.validators import id_check_char

DAY = dt.date(2024, 3, 1)


def valid_id(first17):
    return first17 + id_check_char(first17)


@pytest.fixture
def alliance_a(township_a):
    return Alliance.objects.create(name="寅寺镇共富联盟", scope=AllianceScope.TOWNSHIP, township=township_a, founded_on=DAY)


def test_fund_entries_keep_the_balance_and_refuse_an_overdraft(staff_a, alliance_a):
    record_fund_entry(user=staff_a, alliance=alliance_a, kind=FundEntryKind.CONTRIBUTION, amount=Decimal("50000"), date=DAY, purpose="缴存")
    out = record_fund_entry(user=staff_a, alliance=alliance_a, kind=FundEntryKind.DISBURSEMENT, amount=Decimal("20000"), date=DAY, purpose="帮扶")
    assert out.balance_after == Decimal("30000")
    assert alliance_a.fund_balance() == Decimal("30000")
    with pytest.raises(ValidationError) as err:
        record_fund_entry(user=staff_a, alliance=alliance_a, kind=FundEntryKind.DISBURSEMENT, amount=Decimal("30000.01"), date=DAY, purpose="超支")
    assert "amount" in err.value.message_dict
    assert FundEntry.objects.count() == 2
    assert alliance_a.fund_balance() == Decimal("30000")


def test_a_contribution_already_spent_cannot_be_removed(staff_a, alliance_a):
    entry = record_fund_entry(user=staff_a, alliance=alliance_a, kind=FundEntryKind.CONTRIBUTION, amount=Decimal("100"), date=DAY, purpose="缴存")
    record_fund_entry(user=staff_a, alliance=alliance_a, kind=FundEntryKind.DISBURSEMENT, amount=Decimal("60"), date=DAY, purpose="支出")
    with pytest.raises(ValidationError):
        delete_fund_entry(user=staff_a, entry=entry)
    assert FundEntry.objects.filter(pk=entry.pk).exists()


def test_another_township_cannot_write_to_the_fund(staff_b, alliance_a):
    with pytest.raises(PermissionDenied):
        record_fund_entry(user=staff_b, alliance=alliance_a, kind=FundEntryKind.CONTRIBUTION, amount=Decimal("10"), date=DAY, purpose="缴存")
    assert not FundEntry.objects.exists()


@pytest.fixture
def households(village_a):
    grid = Grid.objects.create(village=village_a, code=f"{village_a.code}001", name="第一网格")
    return [
        Household.objects.create(grid=grid, head_name="王建国", head_id_number=valid_id("37083019650215001")),
        Household.objects.create(grid=grid, head_name="李秀英", head_id_number=valid_id("37083019700308002")),
    ]


def test_credit_records_update_the_household_total_and_the_ranking(staff_a, households):
    wang, li = households
    add_credit_record(user=staff_a, household=wang, date=DAY, category=CreditCategory.VOLUNTEER, points=10, reason="志愿服务")
    add_credit_record(user=staff_a, household=li, date=DAY, category=CreditCategory.ENVIRONMENT, points=5, reason="美丽庭院")
    record = add_credit_record(user=staff_a, household=wang, date=DAY, category=CreditCategory.PENALTY, points=-8, reason="乱堆乱放")
    assert wang.credit_points == 2
    ranking = village_ranking(village=wang.grid.village)
    assert [(h.head_name, h.rank) for h in ranking] == [("李秀英", 1), ("王建国", 2)]
    delete_credit_record(user=staff_a, record=record)
    wang.refresh_from_db()
    assert wang.credit_points == 10
    assert CreditRecord.objects.count() == 2


def test_a_deduction_must_have_negative_points(staff_a, households):
    with pytest.raises(ValidationError):
        add_credit_record(user=staff_a, household=households[0], date=DAY, category=CreditCategory.PENALTY, points=5, reason="x")


def test_can_judges_an_unsaved_object_by_its_township(staff_a, staff_b, township_a, official):
    new = Village(township=township_a, code="370830104250", name="新村")
    assert can(staff_a, "add", new)
    assert not can(staff_b, "add", new)
    assert not can(official, "add", new)


def test_save_scoped_adds_in_own_township_and_logs_the_user(staff_a, township_a):
    with audit.actor(staff_a, "web"):
        village = save_scoped(Village(township=township_a, code="370830104251", name="新建村"), user=staff_a)
    entry = ObjectChange.objects.get(object_id=str(village.pk), action="create", content_type__model="village")
    assert (entry.user, entry.source, entry.township_id) == (staff_a, "web", township_a.pk)


@pytest.fixture
def parcel_a(village_a):
    return Homestead.objects.create(village=village_a, parcel_code=f"{village_a.code}JC00001", holder_name="王建国",
                                    holder_id_number=valid_id("37083019650215001"), area=Decimal("180.5"), surveyed_on=DAY)


def test_a_loan_is_pledged_on_a_parcel_of_its_own_village(township_a, village_a, village_b, parcel_a):
    loan = Loan(kind=LoanKind.HOMESTEAD_CREDIT, bank="汶上农村商业银行", borrower_name="王建国",
                borrower_id_number=parcel_a.holder_id_number, township=village_b.township, village=village_b, homestead=parcel_a,
                amount=Decimal("150000"), annual_rate=Decimal("4.2"), term_months=24, granted_on=DAY, due_on=dt.date(2026, 3, 1))
    with pytest.raises(ValidationError) as err:
        loan.full_clean()
    assert "homestead" in err.value.message_dict
    loan.township, loan.village = township_a, village_a
    loan.full_clean()


def test_homestead_credit_needs_a_parcel(township_a):
    loan = Loan(kind=LoanKind.HOMESTEAD_CREDIT, bank="汶上农村商业银行", borrower_name="王建国", borrower_id_number="",
                township=township_a, amount=Decimal("1"), annual_rate=Decimal("4"), term_months=12, granted_on=DAY, due_on=DAY)
    with pytest.raises(ValidationError) as err:
        loan.full_clean()
    assert {"homestead", "borrower_id_number"} <= set(err.value.message_dict)
