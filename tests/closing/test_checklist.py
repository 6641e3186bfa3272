"""A township's quarter checklist: each item counted from the records as of the quarter's end, and
its list of what is missing shows exactly the villages (or rows) it counts as missing."""
import datetime as dt

import pytest
from django.urls import reverse

from finance.models import Loan
from grids.models import Grid
from talent.models import VillageSecretary
from tests.factories import make
from villages.models import CollectiveIncome, SurveyProblem, SurveyRound, SurveyVisit, Village
from wenshang.closing import checklist

pytestmark = pytest.mark.django_db


def test_each_open_item_links_to_exactly_what_is_missing(client, admin_user, township_a, village_a):
    Village.objects.create(township=township_a, code="370830104299", name="新村")  # a second village, with nothing
    for model in (Grid, VillageSecretary, SurveyVisit, SurveyProblem):
        make(model, township_a)
    make(Loan, township_a, 1, granted_on=dt.date(2024, 2, 1))
    CollectiveIncome.objects.create(village=village_a, year=2023, amount=500000, operating=300000)
    round_ = SurveyRound.objects.get()
    items = {i.key: i for i in checklist.items(township_a, round_.year, round_.quarter)}
    client.force_login(admin_user)
    for item in items.values():
        if not item.open or item.key == "loans":  # no loan of the quarter: nothing to list
            continue
        assert item.missing_url, item.key
        page = client.get(item.missing_url)
        assert page.status_code == 200, item.key
        total = page.context["total"]
        assert (total.value if hasattr(total, "value") else total) == item.missing, (item.key, item.missing)
    assert items["grids"].missing >= 1 and items["secretaries"].missing >= 1
    q1 = {i.key for i in checklist.items(township_a, 2024, 1)}
    q2 = {i.key for i in checklist.items(township_a, 2024, 2)}
    assert "income" in q1 and "income" not in q2  # last year's income: asked with the first quarter
    assert reverse("closing:board")
