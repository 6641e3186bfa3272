"""The reusable view and API tests (``tests.viewtests.ModelViewTests``) for the villages app's
entities that had none: the county and its townships, village honours, collective income,
projects and the grand survey (rounds, assignments, visits, problems). Records come from
the factories (``tests/villages/factories.py``, through ``tests.factories``); dates from a fixed
clock (2024).

The county, its townships and the survey rounds are changed by county administrators only (the
county and townships are ``admin_only``; survey rounds are county-level, ``scope_path = None``).
"""
from tests.factories import make, survey_round, survey_visit
from tests.talent.helpers import village
from tests.viewtests import ModelViewTests
from villages.models import (
    City,
    CollectiveIncome,
    County,
    Project,
    SurveyAssignment,
    SurveyProblem,
    SurveyRound,
    SurveyVisit,
    Township,
    VillageHonour,
)
from villages.views import (
    CityViews,
    CollectiveIncomeViews,
    CountyViews,
    ProjectViews,
    SurveyAssignmentViews,
    SurveyProblemViews,
    SurveyRoundViews,
    SurveyVisitViews,
    TownshipViews,
    VillageHonourViews,
)


class CountyLevelByLink:
    """For county-level records (no township): township staff of any township READ them (listed,
    linked, detail 200) but may neither change nor delete them (403), and nothing changes. (The
    list shows these records' columns, not ``str()``: found by the link to the record.)"""

    def test_another_township_finds_nothing(self, client, users, township_a):
        obj = self.make(township_a)
        before = self.snapshot(obj)
        self.login(client, users, self.outsider)
        assert f'href="{self.url("detail", obj)}"' in client.get(self.url("list")).content.decode()
        assert client.get(self.url("detail", obj)).status_code == 200
        for url in (self.url("edit", obj), self.url("delete", obj)):
            assert client.get(url).status_code == 403, url
        assert client.post(self.url("edit", obj), self.post_data(obj)).status_code == 403
        assert client.post(self.url("delete", obj)).status_code == 403
        assert self.snapshot(obj) == before


class TestCityViews(ModelViewTests):
    """Cities are admin_only and above every county: a township's (or a county's) user reads none."""

    config = CityViews
    editor = "admin_user"
    changes = {"name": "改名市"}

    def make(self, township, n=0):
        return make(City, township, n + 1)

    def form_data(self, township):
        return {"code": "371100", "name": "新设市"}

    def test_api_another_township_finds_nothing(self, township_a, township_b, make_token):
        TestTownshipViews.test_api_another_township_finds_nothing(self, township_a, township_b, make_token)


class TestCountyViews(ModelViewTests):
    """Another county is out of a township's (and a county's) scope: not listed, a 404 (issue 14)."""

    config = CountyViews
    editor = "admin_user"  # admin_only
    changes = {"name": "改名县"}

    def make(self, township, n=0):
        return make(County, township, n + 1)  # another county (n = 0 is the test's own county)

    def form_data(self, township):
        return {"code": "370999", "name": "新设县"}

    def test_api_another_township_finds_nothing(self, township_a, township_b, make_token):
        TestTownshipViews.test_api_another_township_finds_nothing(self, township_a, township_b, make_token)


class TestTownshipViews(ModelViewTests):
    config = TownshipViews
    editor = "admin_user"  # admin_only: township staff read their own township, change nothing
    changes = {"name": "改名镇", "kind": "subdistrict"}

    def make(self, township, n=0):
        return make(Township, township, n + 1)  # another township of the county (not township B's)

    def form_data(self, township):
        return {"county": township.county_id, "code": f"{township.county.code}199", "name": "新设镇", "kind": "town"}

    def test_api_another_township_finds_nothing(self, township_a, township_b, make_token):
        # Townships are admin_only: a township token's write is refused (403) before the record is
        # looked up, the same for a township it cannot see as for one that does not exist (so the
        # answer tells nothing); reading another township is a 404, and nothing changes.
        obj = self.make(township_a)
        before = self.snapshot(obj)
        outsider = self.api(make_token("南旺镇系统", township=township_b, read_only=False))
        assert obj.pk not in self.listed_ids(outsider)
        assert outsider.get(self.api_url(obj)).status_code == 404
        missing = f"{self.api_url()}{obj.pk + 1000}/"
        for url in (self.api_url(obj), missing):
            assert outsider.patch(url, {"name": "改"}, format="json").status_code == 403
            assert outsider.delete(url).status_code == 403
        assert self.snapshot(obj) == before


class TestVillageHonourViews(ModelViewTests):
    config = VillageHonourViews
    changes = {"awarded_by": "市委农办", "year": 2022}

    def make(self, township, n=0):
        return make(VillageHonour, township, n)

    def form_data(self, township):
        return {"village": village(township, 50).pk, "kind": "municipal_demo", "year": 2024, "awarded_by": "市委"}


class TestCollectiveIncomeViews(ModelViewTests):
    config = CollectiveIncomeViews
    changes = {"operating": "330000.00"}

    def make(self, township, n=0):
        return make(CollectiveIncome, township, n)

    def form_data(self, township):
        return {"village": village(township, 50).pk, "year": 2024, "amount": "600000.00", "operating": "100000.00"}


class TestProjectViews(ModelViewTests):
    config = ProjectViews
    changes = {"status": "completed", "jobs": 20}

    def make(self, township, n=0):
        return make(Project, township, n)

    def form_data(self, township):
        return {"name": "新建冷链项目", "kind": "agri_park", "status": "planned", "township": township.pk,
                "villages": [village(township, 50).pk], "investment": "1000000.00", "jobs": 5, "income_added": "50000.00",
                "start_date": "2024-03-01"}


class TestSurveyRoundViews(CountyLevelByLink, ModelViewTests):
    config = SurveyRoundViews
    editor = "admin_user"  # county-level: the county runs the grand survey
    changes = {"theme": "产业振兴专题调研"}

    def make(self, township, n=0):
        return make(SurveyRound, township, n)

    def form_data(self, township):
        return {"year": 2030, "quarter": 2, "start_date": "2030-04-01", "end_date": "2030-06-30", "theme": "二季度大调研"}


class TestSurveyAssignmentViews(ModelViewTests):
    config = SurveyAssignmentViews
    changes = {"leader_name": "王部长", "leader_title": "县委常委"}

    def make(self, township, n=0):
        return make(SurveyAssignment, township, n)

    def form_data(self, township):
        return {"round": survey_round().pk, "village": village(township, 50).pk, "leader_name": "李部长", "leader_title": "副县长"}


class TestSurveyVisitViews(ModelViewTests):
    config = SurveyVisitViews
    changes = {"visitors": "县农业农村局调研组", "rating_industry": 4}

    def make(self, township, n=0):
        return make(SurveyVisit, township, n)

    def form_data(self, township):
        return {"round": survey_round().pk, "village": village(township, 50).pk, "visited_on": "2024-03-05", "visitors": "镇调研组",
                "rating_organization": 3, "rating_industry": 2, "rating_talent": 3, "rating_governance": 4,
                "rating_environment": 4, "analysis": "产业基础薄弱"}


class TestSurveyProblemViews(ModelViewTests):
    config = SurveyProblemViews
    changes = {"status": "in_progress", "progress": "已对接农业企业"}

    def make(self, township, n=0):
        return make(SurveyProblem, township, n)

    def form_data(self, township):
        visit = survey_visit(township, 60)
        return {"visit": visit.pk, "village": visit.village_id, "category": "talent", "description": "缺少年轻干部",
                "responsible_unit": "镇组织办", "deadline": "2024-06-30", "status": "open"}
