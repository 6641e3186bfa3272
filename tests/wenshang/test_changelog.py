"""The change log (``wenshang.kernel.audit`` → ``wenshang.ObjectChange``): who changed what, from where,
with the values before and after."""
import sys
from datetime import date
from decimal import Decimal

import pytest
from celery import shared_task
from celery.backends.base import DisabledBackend
from django.contrib.contenttypes.models import ContentType

from grids.models import Grid
from villages.choices import ProjectKind, Tier
from villages.models import Project, Township, Village
from wenshang import celery_app
from wenshang.kernel import audit
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.scope import ACTIONS


@shared_task
def rename_village(pk, name):
    """A tiny task for the test: its change must be recorded as made by the task."""
    village = Village.objects.get(pk=pk)
    village.name = name
    village.save()
    return village.pk


@pytest.fixture(autouse=True)
def plain_argv(monkeypatch):
    """Not a management command: whatever runs the tests, the default source is "system"."""
    monkeypatch.setattr(sys, "argv", ["pytest"])


def entries_for(obj):
    return ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
    ).order_by("pk")


def last_entry(obj):
    return entries_for(obj).last()


# --- create, update, delete ------------------------------------------------------------------


def test_create(township_a):
    village = Village.objects.create(township=township_a, code="370830104202", name="西石楼村", households=300)
    entry = last_entry(village)
    assert entries_for(village).count() == 1
    assert entry.action == "create"
    assert entry.content_type == ContentType.objects.get_for_model(Village)
    assert entry.object_id == str(village.pk)
    assert entry.object_repr == "西石楼村"
    assert entry.township_id == township_a.pk
    assert entry.prechange_data is None
    data = entry.postchange_data
    assert data["name"] == "西石楼村"
    assert data["code"] == "370830104202"
    assert data["township_id"] == township_a.pk
    assert data["households"] == 300
    assert "created_at" not in data and "updated_at" not in data
    assert entry.user is None and entry.user_name == "" and entry.source == "system"


def test_update(village_a, township_a):
    village = Village.objects.get(pk=village_a.pk)
    village.name = "东石楼社区"
    village.tier = Tier.MODEL
    village.area = Decimal("3.25")
    village.save()
    entry = last_entry(village)
    assert entries_for(village).count() == 2  # create and update
    assert entry.action == "update"
    assert entry.township_id == township_a.pk
    assert entry.prechange_data["name"] == "东石楼村"
    assert entry.postchange_data["name"] == "东石楼社区"
    assert entry.diff == {
        "area": (None, "3.25"),
        "name": ("东石楼村", "东石楼社区"),
        "tier": (Tier.EXCELLENCE.value, Tier.MODEL.value),
    }


def test_successive_updates_of_one_instance(village_a):
    """The "before" of the second save is the value of the first save, not the value first loaded."""
    village_a.name = "一"
    village_a.save()
    village_a.name = "二"
    village_a.save()
    diffs = [e.diff for e in entries_for(village_a).filter(action="update")]
    assert diffs == [{"name": ("东石楼村", "一")}, {"name": ("一", "二")}]


def test_delete(village_a, township_a):
    pk = village_a.pk
    village_a.delete()
    entry = ObjectChange.objects.filter(
        content_type=ContentType.objects.get_for_model(Village), object_id=str(pk)
    ).order_by("pk").last()
    assert entry.action == "delete"
    assert entry.object_repr == "东石楼村"
    assert entry.township_id == township_a.pk
    assert entry.prechange_data["name"] == "东石楼村"
    assert entry.postchange_data is None
    assert entry.diff["name"] == ("东石楼村", None)


def test_deep_scope_path_township(village_b, township_b):
    grid = Grid.objects.create(village=village_b, code=village_b.code + "001", name="第一网格")
    assert last_entry(grid).township_id == township_b.pk


def test_township_records_are_their_own_township(township_a, county):
    assert last_entry(township_a).township_id == township_a.pk
    assert last_entry(county).township_id is None  # county level


def test_save_without_change_writes_nothing(village_a):
    count = ObjectChange.objects.count()
    village_a.save()  # the instance that was just created
    Village.objects.get(pk=village_a.pk).save()  # a fresh instance loaded from the database
    village = Village.objects.get(pk=village_a.pk)
    village.name = village.name  # assigned, but the same value
    village.save()
    assert ObjectChange.objects.count() == count


def test_save_of_partly_loaded_record(village_a, django_assert_max_num_queries):
    """``only()``: fields not loaded are not written by save() and must not show as changed."""
    count = ObjectChange.objects.count()
    Village.objects.only("name").get(pk=village_a.pk).save()
    assert ObjectChange.objects.count() == count
    village = Village.objects.only("name").get(pk=village_a.pk)
    village.name = "部分加载村"
    village.save()
    entry = last_entry(village)
    assert entry.diff == {"name": ("东石楼村", "部分加载村")}
    assert entry.township_id == village_a.township_id


@pytest.mark.parametrize("how", ["instance", "queryset"])
def test_delete_of_partly_loaded_record(village_a, township_a, how):
    pk = village_a.pk
    if how == "instance":
        Village.objects.only("name").get(pk=pk).delete()
    else:
        Village.objects.only("name").filter(pk=pk).delete()
    assert not Village.objects.filter(pk=pk).exists()
    entry = ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(Village), object_id=str(pk)).latest("pk")
    assert entry.action == "delete"
    assert entry.township_id == township_a.pk
    assert entry.prechange_data["code"] == "370830104201"  # every value, not only the loaded ones


def test_save_after_refresh_from_db_writes_nothing(village_a):
    mine = Village.objects.get(pk=village_a.pk)
    theirs = Village.objects.get(pk=village_a.pk)
    theirs.name = "别人改的名"
    theirs.save()
    count = ObjectChange.objects.count()
    mine.refresh_from_db()
    mine.save()
    assert ObjectChange.objects.count() == count


# --- the actor -----------------------------------------------------------------------------


def test_actor_user_and_source(village_a, admin_user):
    with audit.actor(user=admin_user, source="web"):
        village_a.name = "网页改名村"
        village_a.save()
    entry = last_entry(village_a)
    assert entry.user == admin_user
    assert entry.user_name == "county_admin"
    assert entry.source == "web"
    # Outside the block the actor is gone again.
    village_a.name = "再改名村"
    village_a.save()
    entry = last_entry(village_a)
    assert (entry.user, entry.source) == (None, "system")


def test_actor_as_callable_like_the_middleware(village_a, staff_a, anonymous):
    with audit.actor(lambda: staff_a, "api"):
        village_a.name = "接口改名村"
        village_a.save()
    entry = last_entry(village_a)
    assert (entry.user, entry.source) == (staff_a, "api")
    with audit.actor(lambda: anonymous, "web"):  # not logged in: no user, but the source stays
        village_a.name = "匿名改名村"
        village_a.save()
    entry = last_entry(village_a)
    assert (entry.user, entry.user_name, entry.source) == (None, "", "web")


def test_nested_actors(village_a, admin_user, staff_a):
    with audit.actor(admin_user, "web"):
        with audit.actor(staff_a, "command:import_villages"):
            assert audit.current_actor() == (staff_a, "command:import_villages")
        assert audit.current_actor() == (admin_user, "web")
    assert audit.current_actor() == (None, "system")


@pytest.fixture
def no_result_backend(monkeypatch):
    """Run the task without the configured result backend (a folder under var/ in development):
    the test is about the change log, not about storing results."""
    task = celery_app.tasks[rename_village.name]
    monkeypatch.setattr(task, "_backend", DisabledBackend(app=celery_app))
    return task


def test_celery_task_is_recorded_as_task(village_a, no_result_backend):
    result = rename_village.apply(args=(village_a.pk, "任务改名村"))
    assert result.get() == village_a.pk  # re-raises if the task failed
    entry = last_entry(village_a)
    assert entry.action == "update"
    assert entry.diff == {"name": ("东石楼村", "任务改名村")}
    assert entry.source.startswith("task:")
    assert entry.source == f"task:{rename_village.name}"
    assert entry.user is None
    # task_postrun reset the actor.
    assert audit.current_actor() == (None, "system")


def test_management_command_is_recorded_as_command(monkeypatch, township_a):
    monkeypatch.setattr(sys, "argv", ["manage.py", "shell"])
    assert audit.current_actor() == (None, "command:shell")
    village = Village.objects.create(township=township_a, code="370830104209", name="命令村")
    assert last_entry(village).source == "command:shell"
    monkeypatch.setattr(sys, "argv", ["/srv/wenshang/manage.py", "import_villages", "--dry-run"])
    assert audit.current_actor() == (None, "command:import_villages")


def test_explicit_actor_beats_command_name(monkeypatch, village_a, admin_user):
    monkeypatch.setattr(sys, "argv", ["manage.py", "shell"])
    with audit.actor(admin_user, "command:shell"):
        village_a.name = "新名"
        village_a.save()
    assert last_entry(village_a).user == admin_user


# --- bulk creates --------------------------------------------------------------------------


def test_log_bulk_create_deep_path(village_a, village_b, township_a, township_b, django_assert_max_num_queries):
    grids = Grid.objects.bulk_create(
        [Grid(village=v, code=f"{v.code}{n:03d}", name=f"第{n}网格") for v in (village_a, village_b) for n in (1, 2, 3)]
    )
    assert not entries_for(grids[0]).exists()  # bulk_create bypasses the signals
    with audit.actor(None, "command:import_grids"):
        # content type (cached or one query), the township lookup (one query), the insert (one query),
        # and the figures' aggregates of the grids' villages (their rows, the grouped query of the grids)
        with django_assert_max_num_queries(5):
            assert audit.log_bulk_create(Grid, grids) == 6
    for grid in grids:
        entry = entries_for(grid).get()
        assert entry.action == "create"
        assert entry.source == "command:import_grids"
        assert entry.township_id == grid.village.township_id
        assert entry.postchange_data["code"] == grid.code
        assert entry.object_repr == grid.name
    by_township = {
        t.pk: ObjectChange.objects.filter(content_type__model="grid", township=t).count() for t in (township_a, township_b)
    }
    assert by_township == {township_a.pk: 3, township_b.pk: 3}


def test_log_bulk_create_direct_paths(township_a, county):
    villages = Village.objects.bulk_create(
        [Village(township=township_a, code=f"370830104{n:03d}", name=f"新村{n}") for n in range(210, 214)]
    )
    assert audit.log_bulk_create(Village, villages) == 4
    assert {entries_for(v).get().township_id for v in villages} == {township_a.pk}
    townships = Township.objects.bulk_create([Township(county=county, code="370830105", name="次丘镇")])
    audit.log_bulk_create(Township, townships)
    assert entries_for(townships[0]).get().township_id == townships[0].pk


def test_log_bulk_create_nothing():
    assert audit.log_bulk_create(Village, []) == 0


# --- many-to-many ----------------------------------------------------------------------------


def test_m2m_change_is_an_update(township_a, village_a, admin_user):
    project = Project.objects.create(name="稻虾共养", kind=ProjectKind.AGRI_PARK, township=township_a, start_date=date(2024, 1, 1))
    other = Village.objects.create(township=township_a, code="370830104205", name="后村")
    with audit.actor(admin_user, "web"):
        project.villages.add(village_a, other)
    entry = last_entry(project)
    assert entry.action == "update"
    assert entry.township_id == township_a.pk
    assert entry.user == admin_user
    assert entry.postchange_data == {"villages": sorted([village_a.pk, other.pk])}
    project.villages.remove(other)
    assert last_entry(project).postchange_data == {"villages": [village_a.pk]}
    project.villages.clear()
    assert last_entry(project).postchange_data == {"villages": []}
    assert entries_for(project).filter(action="update").count() == 3


def test_m2m_add_of_existing_member_writes_nothing(township_a, village_a):
    project = Project.objects.create(name="光伏", kind=ProjectKind.OTHER, township=township_a)
    project.villages.add(village_a)
    count = ObjectChange.objects.count()
    project.villages.add(village_a)
    assert ObjectChange.objects.count() == count


def test_m2m_change_from_the_reverse_side(township_a, township_b, village_a, admin_user):
    """village.projects.add(project) changes the project's villages just as project.villages.add does."""
    one = Project.objects.create(name="一号项目", kind=ProjectKind.OTHER, township=township_a)
    two = Project.objects.create(name="二号项目", kind=ProjectKind.OTHER, township=township_b)
    with audit.actor(admin_user, "api"):
        village_a.projects.add(one, two)
    for project in (one, two):
        entry = last_entry(project)
        assert (entry.action, entry.user, entry.source) == ("update", admin_user, "api")
        assert entry.postchange_data == {"villages": [village_a.pk]}
        assert entry.township_id == project.township_id
    village_a.projects.remove(two)
    assert last_entry(two).postchange_data == {"villages": []}
    assert entries_for(one).filter(action="update").count() == 1
    village_a.projects.clear()
    assert last_entry(one).postchange_data == {"villages": []}
    assert entries_for(one).filter(action="update").count() == 2
    assert entries_for(two).filter(action="update").count() == 2  # not touched by the clear


# --- the change log's own scope ------------------------------------------------------------


def test_change_log_scope(users, village_a, village_b, township_a, township_b):
    staff_a, staff_b = users["staff_a"], users["staff_b"]
    a_entries = ObjectChange.objects.filter(township=township_a)
    b_entries = ObjectChange.objects.filter(township=township_b)
    assert a_entries.exists() and b_entries.exists()
    assert set(ObjectChange.objects.restrict(staff_a, "view")) == set(a_entries)
    assert set(ObjectChange.objects.restrict(staff_b, "view")) == set(b_entries)
    assert ObjectChange.objects.restrict(users["official"], "view").count() == ObjectChange.objects.count()
    for name, user in users.items():
        for action in ACTIONS:
            if action != "view":
                assert not ObjectChange.objects.restrict(user, action).exists(), (name, action)
