"""An integrator's script, written only against the client that ``openapi-python-client`` generates
from ``/api/schema/`` on its default configuration (package ``wenshang_portal_api_client``), as
another government system's team would write it. ``tests/api/test_generated_client.py`` generates
and installs the client and runs ``run()`` in CI; by hand, against a running portal::

    openapi-python-client generate --url http://127.0.0.1:8000/api/schema/ && pip install ./wenshang-portal-api-client
    python tests/api/client_script.py http://127.0.0.1:8000 ws_<a county's read-write token> <a township's code>

Every answer is parsed by the generated models (a body the schema does not describe raises); every
step checks what it got. ``run()`` returns what it did, for the test to compare with the database.
"""
import datetime as dt
import sys
import urllib.parse
import uuid

from wenshang_portal_api_client import AuthenticatedClient
from wenshang_portal_api_client.api.changes import changes_list
from wenshang_portal_api_client.api.figures import figures_retrieve
from wenshang_portal_api_client.api.finance import (
    finance_homesteads_bulk_create,
    finance_homesteads_list,
    finance_loans_create,
    finance_loans_destroy,
    finance_loans_partial_update,
    finance_loans_retrieve,
    finance_loans_update,
)
from wenshang_portal_api_client.api.villages import villages_tier_changes_list, villages_townships_list, villages_villages_list
from wenshang_portal_api_client.models import (
    BlankEnum,
    BulkResult,
    ChangePage,
    Error,
    Figures,
    HomesteadRequest,
    Loan,
    LoanKindEnum,
    LoanRequest,
    PatchedLoanRequest,
)
from wenshang_portal_api_client.types import UNSET

BULK = 250  # parcels sent in one valid batch: three pages of 100


def cursor_of(url):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["cursor"][0] if url else None


def walk(operation, client, **filters):
    """Every record of a list, page by page along the ``next`` cursor."""
    rows, cursor = [], UNSET
    while True:
        response = operation.sync_detailed(client=client, cursor=cursor, **filters)
        assert response.status_code == 200, (response.status_code, response.content[:300])
        rows += response.parsed.results
        if not response.parsed.next_:
            return rows
        cursor = cursor_of(response.parsed.next_)


def error(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert isinstance(response.parsed, Error), response.parsed
    assert response.parsed.status == status and response.parsed.message
    return response.parsed


def run(client, township_code):
    done = {}
    # -- a township's villages
    townships = walk(villages_townships_list, client)
    township = next(t for t in townships if t.code == township_code)
    villages = walk(villages_villages_list, client, township=township.id)
    assert villages and all(v.township == township.id for v in villages)
    done["villages"] = len(villages)

    # -- the tier changes: a village's first has no tier before it (a blank value the schema allows)
    changes = walk(villages_tier_changes_list, client)
    done["tier_changes"] = len(changes)
    done["blank_from_tier"] = sum(1 for c in changes if isinstance(c.from_tier, BlankEnum))

    # -- a bulk batch of parcels, then one with bad items: all or nothing, each bad item by its index
    village = villages[0]
    batch = [HomesteadRequest(village=village.id, parcel_code=f"{village.code}JC{10000 + n:05d}", holder_name=f"户主{n}",
                              holder_id_number=id_number(n), area="120.00", surveyed_on=_day("2021-05-01"))
             for n in range(BULK)]
    response = finance_homesteads_bulk_create.sync_detailed(client=client, body=batch)
    assert response.status_code == 201 and isinstance(response.parsed, BulkResult), response.content[:300]
    assert response.parsed.created == BULK and len(response.parsed.ids) == BULK
    bad = [HomesteadRequest(village=village.id, parcel_code=f"{village.code}JC{20000 + n:05d}", holder_name="户主",
                            holder_id_number=id_number(n), area="-1" if n in (1, 3) else "10.00",
                            surveyed_on=_day("2021-05-01")) for n in range(5)]
    problem = error(finance_homesteads_bulk_create.sync_detailed(client=client, body=bad), 400)
    assert [item.index for item in problem.items] == [1, 3] and all("area" in item.errors.additional_properties
                                                                     for item in problem.items)
    done["bulk_created"] = response.parsed.created

    # -- every parcel by cursor, against the county's figure
    parcels = walk(finance_homesteads_list, client, page_size=100)
    ids = [p.id for p in parcels]
    assert len(ids) == len(set(ids)) and ids == sorted(ids)
    figures = figures_retrieve.sync(client=client)
    assert isinstance(figures, Figures)
    figure = next(f for f in figures.figures if f.key == "homestead_parcels")
    assert figure.value == len(parcels), (figure.value, len(parcels))
    done["parcels"] = len(parcels)

    # -- a loan: create, read, send back as read (masked values unchanged), change, delete
    cursor_before = UNSET  # the end of the feed as it stands
    while True:
        page = changes_list.sync(client=client, after=cursor_before, entity="finance/loans", page_size=1000)
        cursor_before = page.cursor
        if not page.next_:
            break
    body = LoanRequest(kind=LoanKindEnum.PROJECT, bank="汶上农商银行", borrower_name="王建国", township=township.id,
                       village=village.id, borrower_id_number=id_number(999), borrower_phone="13912345678",
                       amount="80000.00", annual_rate="4.10", term_months=36, granted_on=_day("2024-05-06"),
                       due_on=_day("2027-05-06"))
    key = str(uuid.uuid4())  # a retry whose first answer was lost: the same key, one loan
    response = finance_loans_create.sync_detailed(client=client, body=body, idempotency_key=key)
    assert response.status_code == 201 and isinstance(response.parsed, Loan), response.content[:300]
    retried = finance_loans_create.sync_detailed(client=client, body=body, idempotency_key=key)
    assert retried.status_code == 201 and retried.parsed.id == response.parsed.id
    assert retried.headers["Idempotent-Replayed"] == "true"
    loan = finance_loans_retrieve.sync(response.parsed.id, client=client)
    assert isinstance(loan, Loan) and "*" in loan.borrower_id_number  # masked for this token
    writable = {a.name for a in LoanRequest.__attrs_attrs__}
    read = {k: v for k, v in loan.to_dict().items() if k in writable}  # the record as read, its writable fields
    again = finance_loans_update.sync_detailed(loan.id, client=client, body=LoanRequest.from_dict({**read, "amount": "90000.00"}))
    assert again.status_code == 200 and again.parsed.amount == "90000.00", again.content[:300]
    assert again.parsed.borrower_id_number == loan.borrower_id_number  # unchanged, still masked
    patched = finance_loans_partial_update.sync(loan.id, client=client, body=PatchedLoanRequest(annual_rate="3.95"))
    assert isinstance(patched, Loan) and patched.annual_rate == "3.95"
    done["loan"] = loan.id

    # -- bad requests: each answered with the error format, naming the field
    wrong = LoanRequest.from_dict({**body.to_dict(), "amount": "0"})
    assert "amount" in error(finance_loans_create.sync_detailed(client=client, body=wrong), 400).errors.additional_properties
    assert "page_size" in error(finance_homesteads_list.sync_detailed(client=client, page_size=0), 400).errors.additional_properties
    assert finance_loans_destroy.sync_detailed(loan.id, client=client).status_code == 204
    error(finance_loans_retrieve.sync_detailed(loan.id, client=client), 404)

    # -- the change feed: the loan's life, in order, from a cursor kept before it
    life, after = [], cursor_before
    while True:
        page = changes_list.sync(client=client, after=after, entity="finance/loans", page_size=2)
        assert isinstance(page, ChangePage)
        life += [c.action.value for c in page.results if c.record == loan.id]
        after = page.cursor
        if not page.next_:
            break
    assert life == ["create", "update", "update", "delete"], life
    done["feed"] = life
    return done


def id_number(n):
    """A valid resident ID number (GB 11643 check character) of someone born on 1 January 1980."""
    first17 = f"37083019800101{n % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    return first17 + "10X98765432"[total % 11]


def _day(text):
    return dt.date.fromisoformat(text)


if __name__ == "__main__":
    url, token, code = sys.argv[1:4]
    print(run(AuthenticatedClient(base_url=url, token=token, raise_on_unexpected_status=True), code))
