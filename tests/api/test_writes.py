"""Writes through the API: the same model validation and services as the forms, every bad input
answered with a 4xx in one error format and nothing written; bulk creation all or nothing."""
from datetime import date
from decimal import Decimal

import pytest
from django.test import override_settings

from finance.models import Homestead, Loan
from grids.models import CreditRecord
from tests.finance.test_views import homestead
from tests.grids.test_views import household_in
from tests.talent.helpers import id_number
from villages.models import TierChange
from wenshang.kernel.models import ObjectChange

LOANS = "/api/v1/finance/loans/"
PARCELS = "/api/v1/finance/homesteads/"
CREDIT = "/api/v1/grids/credit-records/"


def loan_body(township, village, **changes):
    body = {
        "kind": "startup_guarantee", "bank": "汶上农商银行", "borrower_name": "王五", "borrower_id_number": id_number(),
        "borrower_phone": "13912345678", "township": township.pk, "village": village.pk, "amount": "80000.00",
        "annual_rate": "4.10", "term_months": 36, "granted_on": "2024-03-01", "due_on": "2027-03-01",
        "interest_subsidy": "0.00", "risk_compensation": "400.00",
    }
    body.update(changes)
    return body


def parcel_body(village, n, **changes):
    body = {"village": village.pk, "parcel_code": f"{village.code}JC{n:05d}", "holder_name": f"户主{n}",
            "holder_id_number": id_number(), "area": "180.50", "surveyed_on": "2021-05-01"}
    body.update(changes)
    return body


@pytest.fixture
def bank(api_client, token_a):
    return api_client(token_a)


def assert_error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status and body["code"] and body["message"], body
    if field is not None:
        assert field in body["errors"], body
        assert all(isinstance(m, str) and m for m in body["errors"][field])
    return body


def test_a_bank_creates_a_loan_and_the_change_log_names_its_token(bank, token_a, township_a, village_a):
    response = bank.post(LOANS, loan_body(township_a, village_a), format="json")
    assert response.status_code == 201, response.content
    loan = Loan.objects.get(pk=response.json()["id"])
    assert loan.amount == Decimal("80000.00") and loan.village == village_a and loan.status == "granted"
    entry = ObjectChange.objects.get(object_id=str(loan.pk), action="create", content_type__model="loan")
    assert entry.source == "api" and entry.user == token_a.user
    assert response.json()["borrower_id_number"] != loan.borrower_id_number  # masked in the answer too


@pytest.mark.parametrize("changes, field", [
    ({"borrower_id_number": "370830199001011234"}, "borrower_id_number"),   # wrong check digit
    ({"borrower_phone": "12345"}, "borrower_phone"),
    ({"amount": "-5.00"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"term_months": "twelve"}, "term_months"),
    ({"granted_on": "2024-02-30"}, "granted_on"),
    ({"kind": "gift"}, "kind"),
    ({"bank": "银" * 101}, "bank"),
    ({"due_on": "2020-01-01"}, None),                                      # before the grant date
    ({"nickname": "x"}, "nickname"),                                        # unknown field
])
def test_bad_fields_are_refused_field_by_field_and_nothing_is_written(bank, township_a, village_a, changes, field):
    response = bank.post(LOANS, loan_body(township_a, village_a, **changes), format="json")
    body = assert_error(response, 400, field)
    assert body["code"] == "invalid" and body["message"]
    assert Loan.objects.count() == 0


def test_missing_fields_are_each_named(bank, township_a, village_a):
    body = loan_body(township_a, village_a)
    for name in ("bank", "borrower_name", "granted_on"):
        del body[name]
    errors = assert_error(bank.post(LOANS, body, format="json"), 400)["errors"]
    assert {"bank", "borrower_name", "granted_on"} <= set(errors)


def test_a_credit_code_is_checked(api_client, county_token, county):
    client = api_client(county_token)
    response = client.post("/api/v1/alliances/enterprises/", {"name": "汶上县某农业公司", "credit_code": "91370830MA3C000000"}, format="json")
    assert_error(response, 400, "credit_code")


@pytest.mark.parametrize("payload", ['{"bank": ', "[1, 2", "not json", '"a string"', "[]", "42"])
def test_malformed_or_wrongly_shaped_json_is_a_400(bank, township_a, payload):
    response = bank.generic("POST", LOANS, payload, content_type="application/json")
    assert_error(response, 400)
    assert Loan.objects.count() == 0


def test_a_form_body_is_not_accepted(bank, township_a, village_a):
    response = bank.post(LOANS, {"bank": "x"})  # multipart: the API speaks JSON
    assert_error(response, 415)


@override_settings(API_MAX_BODY=10_000)
def test_a_huge_payload_is_refused_before_it_is_read(bank, township_a, village_a):
    body = loan_body(township_a, village_a, bank="银" * 10_000)
    response = bank.post(LOANS, body, format="json")
    assert_error(response, 413)
    assert "10000" in response.json()["message"]
    assert Loan.objects.count() == 0


def test_a_village_of_another_township_does_not_exist_for_the_caller(bank, township_a, village_b):
    response = bank.post(LOANS, loan_body(township_a, village_b), format="json")
    assert_error(response, 400, "village")
    assert Loan.objects.count() == 0


def test_a_loan_cannot_be_put_in_another_township(bank, township_a, township_b, village_a):
    response = bank.post(LOANS, loan_body(township_b, village_a), format="json")
    assert response.status_code in (400, 403), response.content
    assert Loan.objects.count() == 0


def test_a_record_cannot_be_moved_out_of_reach(bank, township_a, township_b, village_a):
    loan = Loan.objects.get(pk=bank.post(LOANS, loan_body(township_a, village_a), format="json").json()["id"])
    response = bank.patch(f"{LOANS}{loan.pk}/", {"township": township_b.pk, "village": None}, format="json")
    assert response.status_code in (400, 403)
    loan.refresh_from_db()
    assert loan.township == township_a


def test_put_needs_every_field_and_patch_only_some(bank, township_a, village_a):
    loan_id = bank.post(LOANS, loan_body(township_a, village_a), format="json").json()["id"]
    assert_error(bank.put(f"{LOANS}{loan_id}/", {"amount": "1.00"}, format="json"), 400, "bank")
    response = bank.patch(f"{LOANS}{loan_id}/", {"status": "repaid"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "repaid"


def test_an_unknown_id_and_an_unknown_address_are_404_in_the_error_format(bank, township_a):
    assert_error(bank.get(f"{LOANS}999999/"), 404)
    assert_error(bank.get("/api/v1/nothing/here/"), 404)
    assert_error(bank.get(f"{LOANS}?cursor=garbage"), 404)


def test_a_bad_filter_value_is_a_400(bank, township_a):
    assert_error(bank.get(LOANS, {"township": "abc"}), 400, "township")


def test_a_record_still_referred_to_is_not_deleted(bank, township_a):
    parcel = homestead(township_a)
    bank.post(LOANS, loan_body(township_a, parcel.village, homestead=parcel.pk), format="json")
    response = bank.delete(f"{PARCELS}{parcel.pk}/")
    assert_error(response, 409)
    assert Homestead.objects.filter(pk=parcel.pk).exists()


# -- services -------------------------------------------------------------------------------------
def test_credit_points_go_through_the_service(bank, township_a):
    household = household_in(township_a)
    response = bank.post(CREDIT, {"household": household.pk, "date": "2024-05-01", "category": "volunteer", "points": 5,
                                  "reason": "助人为乐"}, format="json")
    assert response.status_code == 201, response.content
    household.refresh_from_db()
    assert household.credit_points == 5
    record_id = response.json()["id"]
    assert bank.patch(f"{CREDIT}{record_id}/", {"points": 8}, format="json").status_code == 200
    household.refresh_from_db()
    assert household.credit_points == 8
    assert bank.delete(f"{CREDIT}{record_id}/").status_code == 204
    household.refresh_from_db()
    assert household.credit_points == 0


def test_a_tier_change_goes_through_the_service_and_the_tier_is_not_written_directly(bank, village_a):
    village_a.tier = "excellence"
    village_a.save()
    response = bank.post("/api/v1/villages/tier-changes/", {"village": village_a.pk, "date": "2024-04-01", "to_tier": "model",
                                                            "reason": "产业发展好", "decided_by": "县委组织部"}, format="json")
    assert response.status_code == 201, response.content
    change = TierChange.objects.get()
    village_a.refresh_from_db()
    assert village_a.tier == "model" and change.from_tier == "excellence"
    # the tier is fixed on the village once it exists, as in the form: another value is a 400 naming it
    # (never silently ignored), the value it has is accepted (a record read and sent back)
    response = bank.patch(f"/api/v1/villages/villages/{village_a.pk}/", {"tier": "foundation", "households": 400}, format="json")
    assert "tier" in assert_error(response, 400, "tier")["errors"]
    village_a.refresh_from_db()
    assert village_a.tier == "model" and village_a.households != 400
    response = bank.patch(f"/api/v1/villages/villages/{village_a.pk}/", {"tier": "model", "households": 400}, format="json")
    assert response.status_code == 200, response.content
    village_a.refresh_from_db()
    assert village_a.tier == "model" and village_a.households == 400
    # a tier change's village, date and tier are fixed too; its reason is not
    url = f"/api/v1/villages/tier-changes/{change.pk}/"
    assert set(assert_error(bank.patch(url, {"date": "2024-04-02", "to_tier": "excellence"}, format="json"), 400)["errors"]) == {
        "date", "to_tier"}
    record = bank.get(url).json()
    response = bank.put(url, {k: v for k, v in record.items() if k not in ("id", "created_at", "updated_at", "from_tier")}
                        | {"reason": "产业发展好，群众满意"}, format="json")
    assert response.status_code == 200 and response.json()["reason"] == "产业发展好，群众满意", response.content


def test_fund_entries_are_never_edited(api_client, county_token, county):
    client = api_client(county_token)
    response = client.patch("/api/v1/alliances/fund-entries/1/", {"amount": "1"}, format="json")
    assert_error(response, 405)


# -- bulk -----------------------------------------------------------------------------------------
def test_bulk_parcels_are_created_all_together(bank, village_a):
    items = [parcel_body(village_a, n) for n in range(1, 51)]
    response = bank.post(f"{PARCELS}bulk/", items, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 50 and len(body["ids"]) == 50
    assert Homestead.objects.filter(village=village_a).count() == 50
    assert ObjectChange.objects.filter(content_type__model="homestead", action="create", source="api").count() == 50


def test_bulk_is_all_or_nothing_and_names_every_bad_item(bank, village_a, village_b):
    items = [parcel_body(village_a, n) for n in range(1, 11)]
    items[2]["holder_id_number"] = "370830199001011234"          # invalid check digit
    items[5]["area"] = "-3"                                       # negative area
    items[7]["village"] = village_b.pk                            # another township's village
    items[9]["parcel_code"] = items[0]["parcel_code"]             # the same parcel twice
    response = bank.post(f"{PARCELS}bulk/", {"items": items}, format="json")
    body = assert_error(response, 400)
    problems = {item["index"]: item["errors"] for item in body["items"]}
    assert set(problems) >= {2, 5, 7}
    assert "holder_id_number" in problems[2] and "area" in problems[5] and "village" in problems[7]
    assert Homestead.objects.count() == 0
    # once the first three are fixed, the duplicate is still found, and still nothing is written
    items[2]["holder_id_number"], items[5]["area"], items[7]["village"] = id_number(), "120.00", village_a.pk
    body = assert_error(bank.post(f"{PARCELS}bulk/", items, format="json"), 400)
    assert [item["index"] for item in body["items"]] == [9]
    assert Homestead.objects.count() == 0


def test_bulk_credit_records_keep_the_household_totals(bank, township_a):
    household = household_in(township_a)
    items = [{"household": household.pk, "date": f"2024-05-{d:02d}", "category": "volunteer", "points": 2, "reason": f"第{d}次"}
             for d in range(1, 11)]
    response = bank.post(f"{CREDIT}bulk/", items, format="json")
    assert response.status_code == 201, response.content
    household.refresh_from_db()
    assert household.credit_points == 20 and CreditRecord.objects.count() == 10


@override_settings(API_BULK_MAX=5)
def test_bulk_has_a_limit_and_refuses_what_is_not_a_list(bank, village_a):
    items = [parcel_body(village_a, n) for n in range(1, 7)]
    body = assert_error(bank.post(f"{PARCELS}bulk/", items, format="json"), 400, "items")
    assert "5" in body["errors"]["items"][0]
    assert_error(bank.post(f"{PARCELS}bulk/", {"rows": 1}, format="json"), 400, "items")
    assert_error(bank.post(f"{PARCELS}bulk/", [], format="json"), 400, "items")
    assert_error(bank.post(f"{PARCELS}bulk/", ["x"], format="json"), 400)
    assert Homestead.objects.count() == 0


def test_a_read_only_token_cannot_bulk_create(api_client, reader_token, village_a):
    response = api_client(reader_token).post(f"{PARCELS}bulk/", [parcel_body(village_a, 1)], format="json")
    assert_error(response, 403)
    assert Homestead.objects.count() == 0


def test_filters_ordering_and_cursor_pages(bank, township_a, village_a):
    for n in range(1, 8):
        Homestead.objects.create(**{**parcel_body(village_a, n), "village": village_a, "area": Decimal(100 + n),
                                    "surveyed_on": date(2021, 5, n)})
    response = bank.get(PARCELS, {"village": village_a.pk, "ordering": "-area", "page_size": 3})
    page = response.json()
    assert [r["area"] for r in page["results"]] == ["107.00", "106.00", "105.00"]
    seen = [r["id"] for r in page["results"]]
    while page["next"]:
        page = bank.get(page["next"]).json()
        seen += [r["id"] for r in page["results"]]
    assert len(seen) == 7 == len(set(seen))
    assert "count" not in page  # no COUNT(*) on the big tables
    assert bank.get(PARCELS, {"q": f"{village_a.code}JC00003"}).json()["results"][0]["parcel_code"].endswith("00003")
    # an unknown ordering field is ignored (the default order, by id), as DRF does
    assert bank.get(PARCELS, {"ordering": "no_such_field"}).status_code == 200


def test_another_townships_village_is_neither_offered_nor_accepted_as_a_filter(bank, client, users, village_a, village_b):
    """The list pages and the API share the FilterSets: their choices are the caller's records."""
    from grids.filters import GridFilterSet
    from grids.models import Grid

    assert_error(bank.get("/api/v1/grids/grids/", {"village": village_b.pk}), 400, "village")
    client.force_login(users["staff_a"])
    page = client.get("/grids/grids/")
    choices = list(page.context["filterset"].form.fields["village"].queryset)
    assert choices == [village_a]
    assert GridFilterSet is type(page.context["filterset"]) and Grid.objects.count() == 0


def test_a_grid_worker_app_moves_an_event_on_step_by_step(bank, api_client, reader_token, token_b, township_a):
    from tests.grids.test_views import event_in

    event = event_in(township_a)
    url = f"/api/v1/grids/grid-events/{event.pk}/advance/"
    body = assert_error(bank.post(url, {"to_status": "resolved", "note": "修好了"}, format="json"), 400)
    assert "派单" in body["message"] or "assigned" in body["message"]  # no skipping a step
    assert_error(bank.post(url, {"to_status": "assigned"}, format="json"), 400, "assigned_to")  # to whom?
    response = bank.post(url, {"to_status": "assigned", "by": "网格员乙"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "assigned" and response.json()["assigned_to"] == "网格员乙"
    assert_error(api_client(reader_token).post(url, {"to_status": "resolved", "note": "x"}, format="json"), 403)
    assert_error(api_client(token_b).post(url, {"to_status": "resolved", "note": "x"}, format="json"), 404)
    assert bank.post(url, {"to_status": "resolved", "note": "已更换灯泡"}, format="json").json()["status"] == "resolved"
    event.refresh_from_db()
    assert event.status == "resolved" and event.resolution == "已更换灯泡"


# -- a record read and sent back (issue 16) ---------------------------------------------------------
def test_masked_values_sent_back_unchanged_mean_unchanged(bank, township_a, village_a):
    """A token that reads personal numbers masked may send the record back as read: the masked
    values keep the stored ones; a new number replaces them; a masked value of another number is
    refused as any malformed number is."""
    created = bank.post(LOANS, loan_body(township_a, village_a), format="json").json()
    loan = Loan.objects.get(pk=created["id"])
    stored = loan.borrower_id_number, loan.borrower_phone
    read = bank.get(f"{LOANS}{loan.pk}/").json()
    assert "*" in read["borrower_id_number"] and "*" in read["borrower_phone"]
    body = {k: v for k, v in read.items() if k not in ("id", "created_at", "updated_at")} | {"amount": "90000.00"}
    response = bank.put(f"{LOANS}{loan.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    loan.refresh_from_db()
    assert (loan.borrower_id_number, loan.borrower_phone) == stored and loan.amount == Decimal("90000.00")
    response = bank.patch(f"{LOANS}{loan.pk}/", {"borrower_phone": "13800001111"}, format="json")
    assert response.status_code == 200 and response.json()["borrower_phone"] == "138****1111"
    loan.refresh_from_db()
    assert loan.borrower_phone == "13800001111"
    assert_error(bank.patch(f"{LOANS}{loan.pk}/", {"borrower_phone": "139****0000"}, format="json"), 400, "borrower_phone")
    loan.refresh_from_db()
    assert loan.borrower_phone == "13800001111"


@pytest.mark.parametrize("page_size", ["0", "-1", "1001", "5000", "abc", "1.5"])
def test_a_page_size_out_of_bounds_is_refused(bank, page_size):
    assert_error(bank.get(PARCELS, {"page_size": page_size}), 400, "page_size")


def test_page_sizes_within_bounds(bank, village_a):
    bank.post(f"{PARCELS}bulk/", [parcel_body(village_a, n) for n in range(1, 4)], format="json")
    assert len(bank.get(PARCELS, {"page_size": "1"}).json()["results"]) == 1
    assert len(bank.get(PARCELS, {"page_size": "1000"}).json()["results"]) == 3


# -- bulk upsert by natural key (issue 16) -------------------------------------------------------------
def test_bulk_upsert_of_parcels_by_their_code(bank, village_a):
    bank.post(f"{PARCELS}bulk/", [parcel_body(village_a, n) for n in range(1, 4)], format="json")
    first = Homestead.objects.get(parcel_code=f"{village_a.code}JC00001")
    items = [{k: v for k, v in bank.get(f"{PARCELS}{p.pk}/").json().items() if k not in ("id", "created_at", "updated_at")}
             for p in Homestead.objects.order_by("parcel_code")]  # the records as read (ID numbers masked: unchanged)
    items[0]["area"] = "199.00"
    items += [parcel_body(village_a, n) for n in (4, 5)]
    response = bank.put(f"{PARCELS}bulk/", items, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["updated"]) == (2, 3) and body["ids"][0] == first.pk and len(body["ids"]) == 5
    first.refresh_from_db()
    assert first.area == Decimal("199.00") and Homestead.objects.count() == 5
    again = bank.put(f"{PARCELS}bulk/", items[:3] + [dict(i, holder_id_number=Homestead.objects.get(
        parcel_code=i["parcel_code"]).holder_id_number) for i in items[3:]], format="json")
    assert (again.json()["created"], again.json()["updated"]) == (0, 5) and Homestead.objects.count() == 5


def test_bulk_upsert_lists_every_bad_item_and_writes_nothing(bank, village_a):
    items = [parcel_body(village_a, 1), {k: v for k, v in parcel_body(village_a, 2).items() if k != "parcel_code"},
             parcel_body(village_a, 3, area="-5"), parcel_body(village_a, 1)]
    body = assert_error(bank.put(f"{PARCELS}bulk/", items, format="json"), 400)
    by_index = {item["index"]: item["errors"] for item in body["items"]}
    assert set(by_index) == {1, 2, 3} and "parcel_code" in by_index[1] and "area" in by_index[2]
    assert "non_field_errors" in by_index[3]  # the same parcel as item 0
    assert not Homestead.objects.exists()


def test_loans_are_upserted_by_bank_and_contract_number(bank, township_a, village_a):
    item = loan_body(township_a, village_a, contract_number="WSNS-2024-000123")
    assert bank.put(f"{LOANS}bulk/", [item], format="json").json()["created"] == 1
    response = bank.put(f"{LOANS}bulk/", [dict(item, amount="85000.00")], format="json")
    assert response.json()["updated"] == 1 and Loan.objects.get().amount == Decimal("85000.00")
    other_bank = dict(item, bank="汶上村镇银行")  # the same number at another bank: another loan
    assert bank.put(f"{LOANS}bulk/", [other_bank], format="json").json()["created"] == 1 and Loan.objects.count() == 2
    duplicate = assert_error(bank.post(LOANS, item, format="json"), 400)  # a second loan with the number: refused
    assert "该银行已有此合同编号的贷款。" in str(duplicate["errors"])
