"""The consistency of ``test_consistency`` on the demo county (``load_demo``: 15 townships, 346
villages, 199,900 parcels): every figure of the catalogue for the county and every township is its
one-statement drill, the API's ``/api/v1/figures/``, its metric's value and the count or sum of its
list; every metric with a village list is that list for a sample of villages; the quarterly
report's indicators (data and XLSX) are their metrics for the county, a township and a joint
committee's villages."""
import pytest
from django.apps import apps

from tests.metrics.test_consistency import (
    assert_catalogue_is_its_lists_and_the_api,
    assert_report_is_its_metrics,
    assert_village_is_its_lists,
)
from villages.models import Township, Village
from wenshang.kernel.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_admin(demo_county, client):
    client.force_login(User.objects.get(username="admin"))
    return client


def test_every_catalogue_figure_is_its_list_and_the_api_for_the_county_and_every_township(county_admin):
    townships = list(Township.objects.order_by("code").values_list("pk", flat=True))
    assert len(townships) == 15
    assert_catalogue_is_its_lists_and_the_api(county_admin, [None, *townships])


def test_every_metric_with_a_list_is_its_list_for_a_sample_of_villages(county_admin):
    villages = Village.objects.order_by("code")
    count = villages.count()
    for village in (villages[0], villages[count // 2], villages[count - 1]):
        assert_village_is_its_lists(county_admin, village)


@pytest.mark.parametrize("scope", ["county", "township", "zone"])
def test_report_indicators_are_their_metric_within_the_quarter(demo_county, tmp_path, scope):
    village = apps.get_model("alliances.JointCommitteeVillage").objects.order_by("pk").first().village
    assert_report_is_its_metrics(scope, village.township, village, tmp_path)
