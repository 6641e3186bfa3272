from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import AgriLoanReport, FinanceViceMayor, Homestead, LandTransaction, Loan
from finance.views import (
    AgriLoanReportViews,
    FinanceViceMayorViews,
    HomesteadViews,
    LandTransactionViews,
    LoanViews,
)
from tests.talent.helpers import CountyLevelTests, id_number, person, village
from tests.viewtests import ModelViewTests
from wenshang.kernel.models import PersonalDataAccess


def homestead(township, n=0, v=None, **extra):
    v = v or village(township)
    fields = {"holder_id_number": id_number(), "holder_name": f"户主{n}", "area": Decimal("180.50"), "surveyed_on": date(2021, 5, 1)}
    return Homestead.objects.create(village=v, parcel_code=f"{v.code}JC{n + 1:05d}", **(fields | extra))


def loan(township, n=0, **extra):
    parcel = homestead(township, n)
    fields = {
        "kind": "homestead_credit", "bank": "汶上农商银行", "borrower_name": f"借款人{n}",
        "borrower_id_number": parcel.holder_id_number, "borrower_phone": "13800000001", "township": township,
        "village": parcel.village, "homestead": parcel, "amount": Decimal("50000.00"), "annual_rate": Decimal("4.35"),
        "term_months": 24, "granted_on": date(2023, 1, 10), "due_on": date(2025, 1, 10),
    }
    fields.update(extra)
    return Loan.objects.create(**fields)


def loan_form(township, parcel, **changes):
    data = {
        "kind": "homestead_credit", "bank": "中国农业银行汶上支行", "borrower_name": "王五",
        "borrower_id_number": parcel.holder_id_number, "borrower_phone": "13912345678", "township": township.pk,
        "village": parcel.village_id, "homestead": parcel.parcel_code, "amount": "80000.00", "annual_rate": "4.10",
        "term_months": 36, "granted_on": "2023-03-01", "due_on": "2026-03-01", "status": "granted",
        "interest_subsidy": "0", "risk_compensation": "400",
    }
    data.update(changes)
    return data


class TestFinanceViceMayorViews(ModelViewTests):
    config = FinanceViceMayorViews
    changes = {"bank": "中国建设银行汶上支行"}

    def make(self, township, n=0):
        return FinanceViceMayor.objects.create(
            name=f"金{n}", bank="汶上农商银行", township=township, phone="13800000000", start_date=date(2022, 3, 1)
        )

    def form_data(self, township):
        return {"name": "新挂职", "bank": "中国农业银行汶上支行", "township": township.pk, "phone": "13912345678",
                "start_date": "2022-03-01"}


class TestLoanViews(ModelViewTests):
    config = LoanViews
    changes = {"bank": "中国建设银行汶上支行", "status": "repaying"}

    def make(self, township, n=0):
        return loan(township, n)

    def form_data(self, township):
        return loan_form(township, homestead(township, 99, village(township, 1)))


class TestAgriLoanReportViews(CountyLevelTests, ModelViewTests):
    """County level: the banks report to the county; the finance department keeps the figures."""

    config = AgriLoanReportViews
    editor = "finance_editor"
    changes = {"balance": "2000000.00"}

    def make(self, township, n=0):
        return AgriLoanReport.objects.create(bank=f"银行{n}", year=2024, quarter=1, balance=Decimal("1000000.00"), county=township.county)

    def form_data(self, township):
        return {"bank": "新银行", "year": 2024, "quarter": 2, "balance": "1500000.00"}


class TestHomesteadViews(ModelViewTests):
    config = HomesteadViews
    changes = {"use": "idle", "holder_name": "王六"}

    def make(self, township, n=0):
        return homestead(township, n)

    def form_data(self, township):
        v = village(township, 1)
        return {"village": v.pk, "parcel_code": f"{v.code}JC09999", "holder_name": "王五", "holder_id_number": id_number(),
                "area": "180.50", "use": "occupied", "surveyed_on": "2021-05-01"}


class TestLandTransactionViews(ModelViewTests):
    config = LandTransactionViews
    changes = {"buyer": "汶上县新能源有限公司"}

    def make(self, township, n=0):
        return LandTransaction.objects.create(
            village=village(township), contract_no=f"WSJY{township.code}{n:03d}", date=date(2023, 6, 1), area_mu=Decimal("12.50"),
            price=Decimal("3000000.00"), buyer="汶上县某制造有限公司", use="industrial", term_years=40,
        )

    def form_data(self, township):
        return {"village": village(township, 1).pk, "contract_no": "WSJY-NEW-1", "date": "2023-07-01", "area_mu": "8.00",
                "price": "1200000.00", "buyer": "汶上县物流有限公司", "use": "warehousing", "term_years": 30}


# -- the finance department editor --------------------------------------------------------------
@pytest.mark.django_db
def test_finance_editor_edits_loans_county_wide_but_not_talent_records(client, users, township_a, township_b):
    client.force_login(users["finance_editor"])
    for township in (township_a, township_b):
        obj = loan(township)
        url = reverse("finance:loan_edit", args=[obj.pk])
        assert client.get(url).status_code == 200
        data = TestLoanViews().post_data(obj) | {"bank": "县农业发展银行"}
        response = client.post(url, data)
        assert response.status_code == 302, response.context["form"].errors if response.context else response
        obj.refresh_from_db()
        assert obj.bank == "县农业发展银行"
    # A finance editor may pledge a parcel of any township.
    parcel = homestead(township_b, 7, village(township_b, 2))
    assert client.post(reverse("finance:loan_add"), loan_form(township_b, parcel)).status_code == 302
    # … but talent records are another department's: read, not changed.
    someone = person(township_a, name="赵六")
    url = reverse("talent:person_edit", args=[someone.pk])
    assert client.get(reverse("talent:person_detail", args=[someone.pk])).status_code == 200
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "改名", "township": township_a.pk}).status_code == 403
    someone.refresh_from_db()
    assert someone.name == "赵六"


# -- the pledged parcel is typed as a code --------------------------------------------------------
@pytest.mark.django_db
class TestLoanParcelField:
    def test_the_form_looks_a_parcel_up_instead_of_listing_them(self, client, users, township_a):
        parcel = homestead(township_a)
        client.force_login(users["staff_a"])
        html = client.get(reverse("finance:loan_add")).content.decode()
        assert 'data-lookup-url="/lookup/finance.homestead/"' in html
        assert parcel.parcel_code not in html

    def test_a_parcel_is_chosen_by_its_code(self, client, users, township_a):
        parcel = homestead(township_a, 3)
        client.force_login(users["staff_a"])
        response = client.post(reverse("finance:loan_add"), loan_form(township_a, parcel, homestead=parcel.parcel_code.lower()))
        assert response.status_code == 302, response.context["form"].errors
        assert Loan.objects.get().homestead == parcel

    def test_an_unknown_code_is_a_clear_error(self, client, users, township_a):
        parcel = homestead(township_a, 3)
        client.force_login(users["staff_a"])
        missing = f"{parcel.village.code}JC88888"
        response = client.post(reverse("finance:loan_add"), loan_form(township_a, parcel, homestead=missing))
        assert response.status_code == 200
        error = response.context["form"].errors["homestead"].as_data()[0]
        assert error.code == "not_found" and missing in error.message % error.params
        assert missing in response.content.decode()  # shown next to the field
        assert not Loan.objects.exists()

    def test_a_malformed_code_says_what_a_code_looks_like(self, client, users, township_a):
        parcel = homestead(township_a, 3)
        client.force_login(users["staff_a"])
        response = client.post(reverse("finance:loan_add"), loan_form(township_a, parcel, homestead="370830104201JC"))
        assert response.status_code == 200
        assert response.context["form"].errors["homestead"].as_data()[0].code == "parcel_format"

    def test_a_parcel_of_another_township_is_refused(self, client, users, township_a, township_b):
        theirs = homestead(township_b, 3, village(township_b))
        client.force_login(users["staff_a"])
        response = client.post(reverse("finance:loan_add"), loan_form(township_a, homestead(township_a), homestead=theirs.parcel_code))
        assert response.status_code == 200
        error = response.context["form"].errors["homestead"].as_data()[0]
        assert error.code == "other_township" and theirs.parcel_code in error.message % error.params
        assert not Loan.objects.exists()

    def test_an_edit_keeps_the_pledged_parcel_and_masks_the_borrower(self, client, users, township_a):
        obj = loan(township_a)
        client.force_login(users["staff_a"])
        html = client.get(reverse("finance:loan_edit", args=[obj.pk])).content.decode()
        assert obj.homestead.parcel_code in html
        assert obj.borrower_id_number not in html  # masked for staff without the right
        assert obj.borrower_id_number[:6] + "*" * 8 + obj.borrower_id_number[-4:] in html


# -- the homestead list ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_homestead_search_and_filters(client, users, township_a):
    v1, v2 = village(township_a, 1), village(township_a, 2)
    a = homestead(township_a, 0, v1)
    b = homestead(township_a, 1, v1, use="idle")
    c = homestead(township_a, 0, v2, holder_name="李四")
    client.force_login(users["staff_a"])
    url = reverse("finance:homestead_list")

    def listed(**params):
        rows = client.get(url, params).context["rows"]
        return {obj.pk for obj, _cells in rows}

    assert listed(q=v1.code) == {a.pk, b.pk}
    assert listed(q=a.parcel_code.lower()) == {a.pk}
    assert listed(q=c.holder_id_number) == {c.pk}
    assert listed(q="李四") == {c.pk}
    assert listed(village=v2.pk) == {c.pk}
    assert listed(use="idle") == {b.pk}
    assert listed(township=township_a.pk, village=v1.pk, use="occupied") == {a.pk}


@pytest.mark.django_db
def test_homestead_holder_ids_are_masked_and_full_views_recorded(client, users, make_user, township_a):
    parcel = homestead(township_a)
    masked = parcel.holder_id_number[:6] + "********" + parcel.holder_id_number[-4:]
    client.force_login(users["staff_a"])
    html = client.get(reverse("finance:homestead_list")).content.decode()
    assert masked in html and parcel.holder_id_number not in html
    assert not PersonalDataAccess.objects.exists()
    client.force_login(make_user("clerk", role="township", township=township_a, sees_personal_data=True))
    html = client.get(reverse("finance:homestead_detail", args=[parcel.pk])).content.decode()
    assert parcel.holder_id_number in html
    assert PersonalDataAccess.objects.filter(context="detail:homesteads", object_ids=[parcel.pk]).exists()
