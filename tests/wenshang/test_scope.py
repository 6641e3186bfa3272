"""``Model.objects.restrict(user, action)``, ``wenshang.kernel.scope.can`` and ``wenshang.kernel.services.save_scoped``.

The table below is the rule book of ``wenshang.kernel.scope``, one case per role × model × action:

- county administrator and superuser: every row, every action;
- county official: reads every row, changes nothing;
- department editor (domain ``finance``): reads every row, changes only the finance models;
- township staff: reads and changes their own township's rows; county-level catalogues they read
  but do not change; shared county-wide rows (``scope_null_visible``) they read but do not change;
- anonymous and inactive users: nothing.
"""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q

from alliances.choices import AllianceScope
from alliances.models import Alliance
from finance.choices import LoanKind
from finance.models import Homestead, Loan
from grids.models import Grid
from talent.models import RecruitingStation
from villages.models import Township, Village
from wenshang.kernel.choices import Role
from wenshang.kernel.models import ObjectChange, User
from wenshang.kernel.scope import ACTIONS, can, permission_filter
from wenshang.kernel.services import delete_scoped, save_scoped
from wenshang.kernel.validators import id_check_char

ID_NUMBER = "37083019800101123" + id_check_char("37083019800101123")


@pytest.fixture
def world(township_a, township_b, village_a, village_b):
    """One row per township of each model (labelled "a" and "b"), the county-level station ("county")
    and a county-wide alliance ("county"). Returns {model: {label: obj}}."""
    grids = {
        label: Grid.objects.create(village=village, code=village.code + "001", name="第一网格")
        for label, village in (("a", village_a), ("b", village_b))
    }
    homesteads = {
        label: Homestead.objects.create(
            village=village,
            parcel_code=village.code + "JC00001",
            holder_name="张三",
            holder_id_number=ID_NUMBER,
            area=Decimal("150"),
            surveyed_on=date(2023, 5, 1),
        )
        for label, village in (("a", village_a), ("b", village_b))
    }
    loans = {
        label: Loan.objects.create(
            kind=LoanKind.PROJECT,
            bank="汶上农商银行",
            borrower_name=f"{township.name}合作社",
            township=township,
            amount=Decimal("100000"),
            annual_rate=Decimal("4.00"),
            term_months=12,
            granted_on=date(2024, 1, 1),
            due_on=date(2025, 1, 1),
        )
        for label, township in (("a", township_a), ("b", township_b))
    }
    alliances = {
        "a": Alliance.objects.create(
            name="寅寺镇共富联盟", scope=AllianceScope.TOWNSHIP, township=township_a, founded_on=date(2023, 1, 1)
        ),
        "b": Alliance.objects.create(
            name="南旺镇共富联盟", scope=AllianceScope.TOWNSHIP, township=township_b, founded_on=date(2023, 1, 1)
        ),
        "county": Alliance.objects.create(name="汶上县共富大联盟", scope=AllianceScope.COUNTY, founded_on=date(2023, 1, 1)),
    }
    station = RecruitingStation.objects.create(name="上海归雁工作站", city="上海", established_on=date(2022, 1, 1))
    return {
        Village: {"a": village_a, "b": village_b},
        Township: {"a": township_a, "b": township_b},
        Grid: grids,
        Homestead: homesteads,
        Loan: loans,
        RecruitingStation: {"county": station},
        Alliance: alliances,
    }


MODELS = {
    "village": Village,  # scope_path township
    "township": Township,  # scope_path pk
    "grid": Grid,  # village__township, app grids
    "homestead": Homestead,  # village__township, app finance
    "loan": Loan,  # township, app finance
    "station": RecruitingStation,  # no scope_path: a county-level catalogue
    "alliance": Alliance,  # township, with shared county-wide rows
}

ALL = {"a", "b", "county"}
NONE = set()
A, B = {"a"}, {"b"}

# role → model → (rows readable, rows writable: add, change, delete). ALL is cut to the rows the model has.
RULES = {
    "superuser": {m: (ALL, ALL) for m in MODELS},
    "admin_user": {m: (ALL, ALL) for m in MODELS},
    "official": {m: (ALL, NONE) for m in MODELS},
    "finance_editor": {
        "village": (ALL, NONE),
        "township": (ALL, NONE),
        "grid": (ALL, NONE),
        "homestead": (ALL, ALL),
        "loan": (ALL, ALL),
        "station": (ALL, NONE),
        "alliance": (ALL, NONE),
    },
    "staff_a": {
        "village": (A, A),
        "township": (A, NONE),  # townships are changed by county administrators only
        "grid": (A, A),
        "homestead": (A, A),
        "loan": (A, A),
        "station": (ALL, NONE),
        "alliance": (A | {"county"}, A),
    },
    "staff_b": {
        "village": (B, B),
        "township": (B, NONE),
        "grid": (B, B),
        "homestead": (B, B),
        "loan": (B, B),
        "station": (ALL, NONE),
        "alliance": (B | {"county"}, B),
    },
    "anonymous": {m: (NONE, NONE) for m in MODELS},
    "inactive_user": {m: (NONE, NONE) for m in MODELS},
}

CASES = [
    pytest.param(role, model, action, rules[model][0 if action == "view" else 1], id=f"{role}-{model}-{action}")
    for role, rules in RULES.items()
    for model in MODELS
    for action in ACTIONS
]


@pytest.mark.parametrize("role, model_name, action, allowed", CASES)
def test_restrict(users, world, role, model_name, action, allowed):
    user = users[role]
    model = MODELS[model_name]
    rows = world[model]
    expected = {label for label in rows if label in allowed}

    got = model.objects.restrict(user, action)
    assert set(got.values_list("pk", flat=True)) == {rows[label].pk for label in expected}

    # can() on each object agrees with restrict(), and can() on the model says whether any row may be.
    for label, obj in rows.items():
        assert can(user, action, obj) is (label in expected), label
    assert can(user, action, model) is bool(expected)


@pytest.mark.parametrize("role", list(RULES))
@pytest.mark.parametrize("action", ACTIONS)
def test_object_change_is_read_only_for_everyone(users, world, role, action):
    """The change log is readable within one's scope and writable by nobody (``scope_editable``)."""
    assert ObjectChange.objects.exists()
    allowed = ObjectChange.objects.restrict(users[role], action)
    if action == "view" and role in ("superuser", "admin_user", "official", "finance_editor"):
        assert allowed.count() == ObjectChange.objects.count()
    elif action == "view" and role in ("staff_a", "staff_b"):
        township = users[role].township
        assert allowed.exists()
        assert set(allowed.values_list("township", flat=True)) == {township.pk}
    else:
        assert not allowed.exists()
        assert permission_filter(users[role], ObjectChange, action) is False


def test_permission_filter_shapes(users, world):
    assert permission_filter(users["admin_user"], Village, "change") is True
    assert permission_filter(users["official"], Village, "change") is False
    assert permission_filter(users["anonymous"], Village, "view") is False
    assert permission_filter(None, Village, "view") is False
    q = permission_filter(users["staff_a"], Grid, "view")
    assert isinstance(q, Q)
    assert q == Q(village__township=users["staff_a"].township_id)


def test_unknown_action(users):
    with pytest.raises(ValueError):
        Village.objects.restrict(users["admin_user"], "export")


def test_township_staff_without_township_sees_nothing(make_user, world):
    user = make_user("orphan")
    User.objects.filter(pk=user.pk).update(role=Role.TOWNSHIP)  # bypass clean(): an inconsistent row
    user.refresh_from_db()
    for action in ACTIONS:
        assert not Village.objects.restrict(user, action).exists()
        assert not RecruitingStation.objects.restrict(user, action).exists()


def test_user_with_unknown_role_gets_nothing(make_user, world):
    user = make_user("stranger")
    User.objects.filter(pk=user.pk).update(role="guest")
    user.refresh_from_db()
    for action in ACTIONS:
        assert not Village.objects.restrict(user, action).exists()


def test_editor_of_another_domain(make_user, world):
    editor = make_user("talent_editor", role=Role.EDITOR, domain="talent")
    assert RecruitingStation.objects.restrict(editor, "change").count() == 1
    assert not Loan.objects.restrict(editor, "change").exists()
    assert Loan.objects.restrict(editor, "view").count() == 2


def test_users_are_scoped_too(users):
    """The user list itself: township staff see the users of their township only."""
    visible = set(User.objects.restrict(users["staff_a"], "view").values_list("username", flat=True))
    assert visible == {"staff_a"}
    assert User.objects.restrict(users["admin_user"], "view").count() == User.objects.count()


@pytest.mark.parametrize("role", ["staff_a", "official", "finance_editor"])
def test_only_county_administrators_change_users(users, role):
    for action in ("add", "change", "delete"):
        assert not User.objects.restrict(users[role], action).exists()
    assert User.objects.restrict(users["admin_user"], "change").count() == User.objects.count()


# --- save_scoped ---------------------------------------------------------------------------


def test_township_staff_cannot_move_a_village_out_of_reach(staff_a, village_a, township_b):
    before = Village.objects.values().get(pk=village_a.pk)
    changes = ObjectChange.objects.count()
    village_a.township = township_b
    village_a.code = "370830102299"  # a valid code in township B, so that only the scope refuses
    village_a.name = "搬走村"
    with pytest.raises(PermissionDenied):
        save_scoped(village_a, user=staff_a)
    assert Village.objects.values().get(pk=village_a.pk) == before
    assert ObjectChange.objects.count() == changes  # the change log entry was rolled back too


def test_township_staff_saves_in_own_township(staff_a, village_a):
    village_a.name = "东石楼社区"
    village_a.households = 420
    save_scoped(village_a, user=staff_a)
    village_a.refresh_from_db()
    assert (village_a.name, village_a.households) == ("东石楼社区", 420)


def test_township_staff_adds_in_own_township_only(staff_a, township_a, township_b):
    own = save_scoped(Village(township=township_a, code="370830104202", name="西石楼村"), user=staff_a)
    assert own.pk and Village.objects.filter(pk=own.pk).exists()
    with pytest.raises(PermissionDenied):
        save_scoped(Village(township=township_b, code="370830102202", name="外镇村"), user=staff_a)
    assert not Village.objects.filter(code="370830102202").exists()


def test_township_staff_cannot_change_another_township(staff_a, village_b):
    village_b.name = "改名村"
    with pytest.raises(PermissionDenied):
        save_scoped(village_b, user=staff_a)
    assert Village.objects.get(pk=village_b.pk).name == "南旺村"


@pytest.mark.parametrize("role", ["official", "anonymous", "inactive_user"])
def test_read_only_users_cannot_save(users, village_a, role):
    village_a.name = "改名村"
    with pytest.raises(PermissionDenied):
        save_scoped(village_a, user=users[role])
    assert Village.objects.get(pk=village_a.pk).name == "东石楼村"


def test_editor_saves_only_own_domain(finance_editor, village_a, township_a):
    village_a.name = "改名村"
    with pytest.raises(PermissionDenied):
        save_scoped(village_a, user=finance_editor)
    loan = Loan(
        kind=LoanKind.PROJECT, bank="汶上农商银行", borrower_name="合作社", township=township_a,
        amount=Decimal("1000"), annual_rate=Decimal("4"), term_months=6,
        granted_on=date(2024, 1, 1), due_on=date(2024, 7, 1),
    )
    save_scoped(loan, user=finance_editor)
    assert Loan.objects.filter(pk=loan.pk).exists()


def test_save_scoped_validates(admin_user, village_a, township_b):
    village_a.township = township_b  # the code no longer begins with the township's code
    with pytest.raises(ValidationError) as exc:
        save_scoped(village_a, user=admin_user)
    assert "code" in exc.value.message_dict
    assert Village.objects.get(pk=village_a.pk).township_id != township_b.pk


def test_admin_may_move_a_village(admin_user, village_a, township_b):
    village_a.township = township_b
    village_a.code = "370830102299"
    save_scoped(village_a, user=admin_user)
    assert Village.objects.get(pk=village_a.pk).township_id == township_b.pk


def test_delete_scoped(staff_a, village_a, village_b):
    with pytest.raises(PermissionDenied):
        delete_scoped(village_b, user=staff_a)
    assert Village.objects.filter(pk=village_b.pk).exists()
    delete_scoped(village_a, user=staff_a)
    assert not Village.objects.filter(code="370830104201").exists()
