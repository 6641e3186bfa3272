"""The pages of the grids app: the reusable view tests for every model, credit points and the
village ranking, and the progress of grid events."""
import datetime as dt

import pytest
from django.contrib.messages import constants
from django.urls import reverse
from django.utils import timezone

from grids.choices import CreditCategory, EventStatus, WorkerRole
from grids.models import CreditRecord, Grid, GridEvent, GridWorker, Household, LectureHall, LectureSession
from grids.services import advance_event, recount_points
from grids.views import (
    CreditRecordViews,
    GridEventViews,
    GridViews,
    GridWorkerViews,
    HouseholdViews,
    LectureHallViews,
    LectureSessionViews,
)
from tests.alliances.listing import ListedByLink
from tests.viewtests import ModelViewTests
from villages.models import Village
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.validators import id_check_char

DAY = dt.date(2024, 3, 1)


# -- records in a township ------------------------------------------------------------------------
def valid_id(seed):
    first = f"37083019800{seed // 1000 % 9 + 1}01{seed % 1000:03d}"  # born 1980-0m-01, a sequence number
    return first + id_check_char(first)


def village_in(township, n=0):
    return Village.objects.get_or_create(code=f"{township.code}{230 + n:03d}", defaults={"township": township, "name": f"测试{n}村"})[0]


def grid_in(township, n=0, village=None):
    village = village or village_in(township)
    return Grid.objects.get_or_create(code=f"{village.code}{n + 1:03d}", defaults={"village": village, "name": f"第{n + 1}网格"})[0]


def household_in(township, n=0, grid=None, name=None):
    return Household.objects.create(grid=grid or grid_in(township), head_name=name or f"户主{n}",
                                    head_id_number=valid_id(int(township.code[-3:]) * 100 + n))


def hall_in(township):
    village = village_in(township)
    return LectureHall.objects.get_or_create(village=village, name=f"{village.name}孔子讲学堂", defaults={"opened_on": DAY})[0]


def event_in(township, n=0, **extra):
    return GridEvent.objects.create(grid=grid_in(township), title=f"路灯损坏{n}", category="facilities",
                                    reported_at=timezone.now() - dt.timedelta(days=2), reported_by="网格员甲", **extra)


# -- the reusable view tests, one class per model -----------------------------------------------------
class TestGridViews(ModelViewTests):
    config = GridViews
    changes = {"name": "改名网格", "households": 55}

    def make(self, township, n=0):
        return grid_in(township, n)

    def form_data(self, township):
        village = village_in(township)
        return {"village": village.pk, "code": f"{village.code}099", "name": "新建网格", "households": 30, "population": 90}


class TestGridWorkerViews(ListedByLink):
    config = GridWorkerViews
    changes = {"phone": "13912345678", "lane": "幸福街"}

    def make(self, township, n=0):
        return GridWorker.objects.create(grid=grid_in(township), name=f"网格员{n}", role=WorkerRole.WORKER, start_date=DAY)

    def form_data(self, township):
        return {"grid": grid_in(township).pk, "name": "新网格长", "role": "leader", "start_date": "2024-03-01"}


class TestHouseholdViews(ListedByLink):
    config = HouseholdViews
    changes = {"members": 5, "address": "东石楼村12号"}

    def make(self, township, n=0):
        return household_in(township, n)

    def form_data(self, township):
        return {"grid": grid_in(township).pk, "head_name": "新户主", "head_id_number": valid_id(99999), "members": 3}


class TestCreditRecordViews(ListedByLink):
    config = CreditRecordViews
    changes = {"points": 7, "reason": "志愿服务（更正）"}

    def make(self, township, n=0):
        record = CreditRecord.objects.create(household=household_in(township, n), date=DAY, category=CreditCategory.VOLUNTEER,
                                             points=5, reason="志愿服务")
        recount_points(record.household_id)
        return record

    def form_data(self, township):
        return {"household": household_in(township, 50).pk, "date": "2024-03-02", "category": "environment", "points": 3,
                "reason": "美丽庭院"}


class TestGridEventViews(ModelViewTests):
    config = GridEventViews
    changes = {"title": "路灯损坏（东街）", "description": "东街两盏路灯不亮"}

    def make(self, township, n=0):
        return event_in(township, n)

    def form_data(self, township):
        return {"grid": grid_in(township).pk, "title": "垃圾清运不及时", "category": "environment",
                "reported_at": "2024-05-01T09:00", "reported_by": "村民乙"}


class TestLectureHallViews(ModelViewTests):
    config = LectureHallViews
    changes = {"name": "新名孔子讲学堂", "address": "党群服务中心二楼"}

    def make(self, township, n=0):
        return LectureHall.objects.create(village=village_in(township), name=f"第{n}讲学堂", opened_on=DAY)

    def form_data(self, township):
        return {"village": village_in(township).pk, "name": "新建讲学堂", "opened_on": "2024-03-01"}


class TestLectureSessionViews(ListedByLink):
    config = LectureSessionViews
    changes = {"speaker": "王老师", "attendance": 80}

    def make(self, township, n=0):
        return LectureSession.objects.create(hall=hall_in(township), date=DAY, topic=f"孝老爱亲{n}", speaker="李老师")

    def form_data(self, township):
        return {"hall": hall_in(township).pk, "date": "2024-03-08", "topic": "移风易俗", "speaker": "张老师", "attendance": 60}


# -- credit points and the village ranking ----------------------------------------------------------
def url(config, action, obj=None):
    return reverse(config.url_name(action), args=[obj.pk] if obj is not None else [])


def ranking_url(village):
    return reverse("grids:village_ranking", args=[village.pk])


@pytest.fixture
def two_households(township_a, village_a):
    grid = grid_in(township_a, village=village_a)
    return household_in(township_a, 1, grid, "王建国"), household_in(township_a, 2, grid, "李秀英")


@pytest.mark.django_db
class TestCreditPoints:
    def post_record(self, client, household, points, category="volunteer"):
        return client.post(url(CreditRecordViews, "add"), {"household": household.pk, "date": "2024-03-02",
                                                          "category": category, "points": points, "reason": "志愿服务"})

    def test_records_update_the_total_and_the_ranking(self, client, staff_a, village_a, two_households):
        wang, li = two_households
        client.force_login(staff_a)
        assert self.post_record(client, wang, 10).status_code == 302
        assert self.post_record(client, li, 5).status_code == 302
        wang.refresh_from_db()
        li.refresh_from_db()
        assert (wang.credit_points, li.credit_points) == (10, 5)
        ranking = client.get(ranking_url(village_a))
        assert [(h.head_name, h.rank) for h in ranking.context["households"]] == [("王建国", 1), ("李秀英", 2)]
        page = ranking.content.decode()
        assert page.index("王建国") < page.index("李秀英")

        # a deduction, then a correction of it, then its removal: the total follows each time
        assert self.post_record(client, wang, -8, "penalty").status_code == 302
        deduction = CreditRecord.objects.get(points=-8)
        wang.refresh_from_db()
        assert wang.credit_points == 2
        ranking = client.get(ranking_url(village_a))
        assert [(h.head_name, h.rank) for h in ranking.context["households"]] == [("李秀英", 1), ("王建国", 2)]
        response = client.post(url(CreditRecordViews, "edit", deduction), {"household": wang.pk, "date": "2024-03-02",
                                                                           "category": "penalty", "points": -3, "reason": "更正"})
        assert response.status_code == 302
        wang.refresh_from_db()
        assert wang.credit_points == 7
        assert client.post(url(CreditRecordViews, "delete", deduction)).status_code == 302
        wang.refresh_from_db()
        assert wang.credit_points == 10

    def test_a_deduction_with_positive_points_is_refused(self, client, staff_a, two_households):
        wang, _ = two_households
        client.force_login(staff_a)
        response = self.post_record(client, wang, 5, "penalty")
        assert response.status_code == 200 and "points" in response.context["form"].errors
        wang.refresh_from_db()
        assert wang.credit_points == 0 and not CreditRecord.objects.exists()

    def test_the_total_is_not_typed_in(self, client, staff_a, two_households):
        wang, _ = two_households
        client.force_login(staff_a)
        assert "credit_points" not in client.get(url(HouseholdViews, "add")).context["form"].fields
        response = client.post(url(HouseholdViews, "edit", wang), {"grid": wang.grid_id, "head_name": wang.head_name,
                                                                    "head_id_number": wang.head_id_number, "members": 4,
                                                                    "credit_points": 999})
        assert response.status_code == 302
        wang.refresh_from_db()
        assert (wang.members, wang.credit_points) == (4, 0)

    def test_the_ranking_is_linked_from_the_household_and_the_grid(self, client, staff_a, village_a, two_households):
        wang, _ = two_households
        client.force_login(staff_a)
        assert ranking_url(village_a) in client.get(url(HouseholdViews, "detail", wang)).content.decode()
        assert ranking_url(village_a) in client.get(url(GridViews, "detail", wang.grid)).content.decode()

    def test_the_ranking_is_scoped(self, client, staff_b, official, village_a, two_households):
        assert client.get(ranking_url(village_a)).status_code == 302  # to the login page
        client.force_login(staff_b)
        assert client.get(ranking_url(village_a)).status_code == 404
        client.force_login(official)
        assert client.get(ranking_url(village_a)).status_code == 200

    def test_the_household_choice_is_the_household_given(self, client, staff_a, two_households):
        wang, li = two_households
        client.force_login(staff_a)
        html = client.get(url(CreditRecordViews, "add"), {"household": wang.pk}).content.decode()
        # the page holds the household given (chosen), never the others: the rest are looked up
        assert f'<option value="{wang.pk}" selected>' in html and li.head_name not in html


# -- grid events: reported → assigned → resolved → closed -------------------------------------------
def advance_url(event):
    return reverse("grids:gridevent_advance", args=[event.pk])


def error_messages(response):
    return [str(m) for m in response.context["messages"] if m.level == constants.ERROR]


@pytest.fixture
def event(township_a):
    return event_in(township_a)


@pytest.mark.django_db
class TestGridEventProgress:
    def snapshot(self, event):
        return GridEvent.objects.filter(pk=event.pk).values().first()

    def test_the_full_path_records_who_and_when(self, client, staff_a, event):
        client.force_login(staff_a)
        detail = client.get(url(GridEventViews, "detail", event)).content.decode()
        assert advance_url(event) in detail and 'value="assigned"' in detail

        start = timezone.now()
        response = client.post(advance_url(event), {"to_status": "assigned", "by": "李网格员"}, follow=True)
        assert response.redirect_chain[-1][0] == url(GridEventViews, "detail", event)
        assert 'value="resolved"' in response.content.decode()  # the next button
        event.refresh_from_db()
        assert event.status == EventStatus.ASSIGNED and event.assigned_to == "李网格员"
        assert start <= event.assigned_at <= timezone.now()

        client.post(advance_url(event), {"to_status": "resolved", "note": "已更换灯泡"})
        event.refresh_from_db()
        assert event.status == EventStatus.RESOLVED and event.resolution == "已更换灯泡"
        assert event.assigned_at <= event.resolved_at <= timezone.now()

        response = client.post(advance_url(event), {"to_status": "closed", "by": "王主任"}, follow=True)
        event.refresh_from_db()
        assert event.status == EventStatus.CLOSED and event.closed_by == "王主任"
        assert event.resolved_at <= event.closed_at <= timezone.now()
        assert advance_url(event) not in response.content.decode()  # a closed event has no further step

        steps = ObjectChange.objects.filter(content_type__model="gridevent", object_id=str(event.pk), action="update")
        assert steps.count() == 3 and set(steps.values_list("user_name", flat=True)) == {"staff_a"}

    def test_a_step_cannot_be_skipped_or_undone(self, client, staff_a, event):
        client.force_login(staff_a)
        before = self.snapshot(event)
        response = client.post(advance_url(event), {"to_status": "resolved", "note": "已处理"}, follow=True)
        assert response.status_code == 200 and error_messages(response)
        assert self.snapshot(event) == before
        response = client.post(advance_url(event), {"to_status": "closed", "by": "王主任"}, follow=True)
        assert error_messages(response) and self.snapshot(event) == before

        client.post(advance_url(event), {"to_status": "assigned", "by": "李网格员"})
        event.refresh_from_db()
        assigned = self.snapshot(event)
        response = client.post(advance_url(event), {"to_status": "reported"}, follow=True)  # backwards
        assert error_messages(response) and self.snapshot(event) == assigned
        response = client.post(advance_url(event), {"to_status": "assigned", "by": "另一人"}, follow=True)  # again
        assert error_messages(response) and self.snapshot(event) == assigned

    def test_a_step_needs_its_who(self, client, staff_a, event):
        client.force_login(staff_a)
        before = self.snapshot(event)
        response = client.post(advance_url(event), {"to_status": "assigned", "by": "  "}, follow=True)
        assert error_messages(response) and self.snapshot(event) == before

    def test_another_township_gets_404_and_nothing_changes(self, client, staff_b, event):
        before = self.snapshot(event)
        client.force_login(staff_b)
        assert client.post(advance_url(event), {"to_status": "assigned", "by": "外镇人员"}).status_code == 404
        assert self.snapshot(event) == before

    def test_a_reader_gets_403_and_sees_no_buttons(self, client, official, event):
        before = self.snapshot(event)
        client.force_login(official)
        assert advance_url(event) not in client.get(url(GridEventViews, "detail", event)).content.decode()
        assert client.post(advance_url(event), {"to_status": "assigned", "by": "某人"}).status_code == 403
        assert self.snapshot(event) == before

    def test_anonymous_is_sent_to_login(self, client, event):
        response = client.post(advance_url(event), {"to_status": "assigned", "by": "某人"})
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_the_form_does_not_type_in_the_progress(self, client, staff_a, event):
        client.force_login(staff_a)
        fields = client.get(url(GridEventViews, "edit", event)).context["form"].fields
        assert not {"status", "assigned_at", "assigned_to", "resolved_at", "resolution", "closed_at", "closed_by"} & set(fields)

    def test_an_edit_contradicting_the_progress_is_refused_above_the_form(self, client, staff_a, event):
        advance_event(user=staff_a, event=event, to_status="assigned", by="李网格员")
        before = self.snapshot(event)
        client.force_login(staff_a)
        later = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")  # reported after it was assigned
        response = client.post(url(GridEventViews, "edit", event), {"grid": event.grid_id, "title": event.title,
                                                                     "category": event.category, "reported_at": later,
                                                                     "reported_by": event.reported_by})
        assert response.status_code == 200 and response.context["form"].non_field_errors()
        assert self.snapshot(event) == before

    def test_the_service_refuses_a_closed_event(self, staff_a, event):
        from django.core.exceptions import ValidationError

        for status, by, note in (("assigned", "甲", ""), ("resolved", "", "已处理"), ("closed", "乙", "")):
            advance_event(user=staff_a, event=event, to_status=status, by=by, note=note)
        with pytest.raises(ValidationError):
            advance_event(user=staff_a, event=event, to_status="closed", by="乙")
        assert event.status == EventStatus.CLOSED


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
