"""Personal data through the API (masked unless the token or user has the right; every unmasked
read recorded) and the figures endpoint (the same numbers as ``python manage.py figures``)."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.finance.test_views import homestead
from wenshang.kernel.models import PersonalDataAccess
from wenshang.web import figures

PARCELS = "/api/v1/finance/homesteads/"


def test_id_numbers_are_masked_without_the_right_and_nothing_is_recorded(api_client, make_token, township_a):
    parcel = homestead(township_a)
    client = api_client(make_token(read_only=True))
    row = client.get(PARCELS).json()["results"][0]
    assert row["holder_id_number"] != parcel.holder_id_number
    assert row["holder_id_number"].startswith(parcel.holder_id_number[:6]) and "*" in row["holder_id_number"]
    assert client.get(f"{PARCELS}{parcel.pk}/").json()["holder_id_number"] == row["holder_id_number"]
    assert PersonalDataAccess.objects.count() == 0


def test_a_token_with_the_right_sees_them_and_every_read_is_recorded(api_client, make_token, township_a):
    parcels = [homestead(township_a, n) for n in range(3)]
    token = make_token("公安核查系统", read_only=True, personal_data=True)
    client = api_client(token)
    rows = client.get(PARCELS).json()["results"]
    assert {r["holder_id_number"] for r in rows} == {p.holder_id_number for p in parcels}
    client.get(f"{PARCELS}{parcels[0].pk}/")
    listed, one = PersonalDataAccess.objects.order_by("pk")
    assert listed.user == token.user and sorted(listed.object_ids) == sorted(p.pk for p in parcels)
    assert listed.context == "api:list:homesteads" and "holder_id_number" in listed.fields
    assert one.object_ids == [parcels[0].pk] and one.context == "api:detail:homesteads"


def test_a_county_administrator_token_does_not_see_personal_data_by_default(api_client, make_token, township_a):
    parcel = homestead(township_a)
    token = make_token(read_only=False)  # read-write county: a county administrator's role
    assert token.user.role == "admin"
    row = api_client(token).get(PARCELS).json()["results"][0]
    assert row["holder_id_number"] != parcel.holder_id_number


@pytest.mark.parametrize("page_size", [1, 10, 1000])
def test_the_costliest_list_page_is_four_queries_whatever_its_size(api_client, make_token, township_a, page_size):
    """The token, the village of the filter, the page, the access-log entry; the token's last use is
    written once a minute, after the answer is sent (the first request below)."""
    parcels = [homestead(township_a, n) for n in range(12)]
    village = parcels[0].village
    client = api_client(make_token(read_only=True, personal_data=True))
    client.get(PARCELS)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PARCELS, {"page_size": page_size, "village": village.pk, "ordering": "-area"})
    assert response.status_code == 200 and len(response.json()["results"]) == min(page_size, 12)
    assert len(queries.captured_queries) == 4, [q["sql"] for q in queries.captured_queries]


# -- figures -------------------------------------------------------------------------------------------
def command_figures(*args):
    out = StringIO()
    call_command("figures", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_county_figures_are_those_of_the_command(api_client, reader_token, township_a):
    homestead(township_a)
    body = api_client(reader_token).get("/api/v1/figures/").json()
    assert body["township"] is None and body["as_of"]
    assert {f["key"]: f["value"] for f in body["figures"]} == command_figures()
    assert [f["key"] for f in body["figures"]] == list(figures.catalogue())
    assert all(f["label"] and f["unit"] and f["period"] for f in body["figures"])


def test_a_township_token_gets_its_township_and_nothing_else(api_client, token_a, township_a, township_b):
    homestead(township_a)
    client = api_client(token_a)
    body = client.get("/api/v1/figures/").json()
    assert body["township"]["code"] == township_a.code
    assert {f["key"]: f["value"] for f in body["figures"]} == command_figures("--township", township_a.code)
    response = client.get("/api/v1/figures/", {"township": township_b.code})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_county_asks_for_one_township(api_client, reader_token, township_a, township_b):
    body = api_client(reader_token).get("/api/v1/figures/", {"township": township_b.code}).json()
    assert body["township"]["name"] == township_b.name
    assert {f["key"]: f["value"] for f in body["figures"]} == command_figures("--township", township_b.code)


def test_figures_need_a_token(client, county):
    assert client.get("/api/v1/figures/").status_code == 401


@pytest.mark.parametrize("code", ["abc", "3708301049999"])
def test_an_unknown_township_is_404(api_client, reader_token, county, code):
    assert api_client(reader_token).get("/api/v1/figures/", {"township": code}).status_code == 404
