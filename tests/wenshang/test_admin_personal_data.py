"""Personal data in the admin and in the change log: national ID and mobile numbers are masked for
users without the right (``User.may_see_personal_data``), shown in full to users with it, and every
unmasked view is recorded in ``PersonalDataAccess``, as on the portal (``wenshang.kernel.privacy``).

Every model with a personal field (``privacy.personal_fields`` over all models) is covered: a new
one fails ``test_every_model_with_personal_data_is_covered`` until it is added to ``RECORDS``.
"""
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from alliances.models import Advisor, JointCommittee, MemberUnit
from finance.models import FinanceViceMayor, Homestead, Loan
from grids.models import Grid, GridWorker, Household
from talent.models import Person
from tests.wenshang.test_admin import post_data
from wenshang.kernel import privacy
from wenshang.kernel.choices import Role
from wenshang.kernel.models import ObjectChange, PersonalDataAccess
from wenshang.kernel.validators import id_check_char, mask_id_number, mask_phone
from wenshang.web.portal import detail_url

D = dt.date(2024, 3, 1)  # every date of these records: the tests never read today's date


def id_number(first17):
    return first17 + id_check_char(first17)


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def personal_models():
    return sorted((m for m in apps.get_models() if privacy.personal_fields(m)), key=lambda m: m._meta.label)


# One record of every model with a personal field, in 寅寺镇 (township A); each number is its own.
RECORDS = {
    Person: lambda w: Person.objects.create(name="王建国", id_number=id_number("37083019900101123"), phone="13511112222",
                                            township=w["township"], village=w["village"]),
    Loan: lambda w: Loan.objects.create(kind="project", bank="农商银行", borrower_name="吴九",
                                        borrower_id_number=id_number("37083019800202123"), borrower_phone="13622223333",
                                        township=w["township"], village=w["village"], amount=Decimal("100000"),
                                        annual_rate=Decimal("4.35"), term_months=12, granted_on=D, due_on=D + dt.timedelta(days=365)),
    Homestead: lambda w: Homestead.objects.create(village=w["village"], parcel_code="370830104201JC00001", holder_name="吴九",
                                                  holder_id_number=id_number("37083019800303123"), area=Decimal("120"), surveyed_on=D),
    Household: lambda w: Household.objects.create(grid=w["grid"], head_name="吴九", head_id_number=id_number("37083019800404123")),
    GridWorker: lambda w: GridWorker.objects.create(grid=w["grid"], name="周八", role="leader", phone="13733334444", start_date=D),
    Advisor: lambda w: Advisor.objects.create(name="李四", department="县农业农村局", phone="13844445555",
                                              joint_committee=w["committee"], start_date=D),
    MemberUnit: lambda w: MemberUnit.objects.create(name="东石楼村党支部", kind="village", township=w["township"],
                                                    village=w["village"], contact_phone="13955556666"),
    FinanceViceMayor: lambda w: FinanceViceMayor.objects.create(name="冯一", bank="农商银行", township=w["township"],
                                                                phone="15066667777", start_date=D),
}


@pytest.fixture
def world(township_a, village_a):
    return {
        "township": township_a,
        "village": village_a,
        "grid": Grid.objects.create(village=village_a, code="370830104201001", name="第一网格"),
        "committee": JointCommittee.objects.create(name="寅寺示范区联合党委", township=township_a, county_leader="张三",
                                                   established_on=D),
    }


@pytest.fixture
def privacy_officer(make_user):
    """A county official granted the personal-data right."""
    return make_user("privacy_officer", role=Role.OFFICIAL, sees_personal_data=True)


def numbers(obj):
    """{attname: (full, masked)} of the record's personal fields."""
    return {name: (getattr(obj, name), mask(getattr(obj, name))) for name, mask in privacy.personal_fields(type(obj)).items()}


def listed_fields(model, request_user):
    """The personal fields the model's admin shows as list columns."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = request_user
    shown = set()
    for item in admin.site.get_model_admin(model).get_list_display(request):
        path = item if isinstance(item, str) else getattr(item, "personal_path", None)
        if path in privacy.personal_fields(model):
            shown.add(path)
    return shown


def test_every_model_with_personal_data_is_covered():
    assert set(personal_models()) == set(RECORDS)


# -- change pages and lists of every model with a personal field ------------------------------------


@pytest.mark.parametrize("model", list(RECORDS), ids=lambda m: m._meta.label)
def test_an_official_without_the_right_sees_only_masked_numbers(client, world, official, model):
    obj = RECORDS[model](world)
    client.force_login(official)
    listed = listed_fields(model, official)
    changelist = client.get(url(model, "changelist")).content.decode()
    change = client.get(url(model, "change", obj.pk))
    assert change.status_code == 200
    page = change.content.decode()
    for name, (full, masked) in numbers(obj).items():
        assert full not in changelist, name
        assert full not in page, name
        assert masked in page, name
        if name in listed:
            assert masked in changelist, name
    assert not PersonalDataAccess.objects.filter(user=official).exists()


@pytest.mark.parametrize("model", list(RECORDS), ids=lambda m: m._meta.label)
def test_a_user_with_the_right_sees_full_numbers_and_each_view_is_recorded(client, world, privacy_officer, model):
    obj = RECORDS[model](world)
    client.force_login(privacy_officer)
    listed = listed_fields(model, privacy_officer)
    changelist = client.get(url(model, "changelist")).content.decode()
    page = client.get(url(model, "change", obj.pk)).content.decode()
    name = model._meta.model_name
    for field, (full, _masked) in numbers(obj).items():
        assert full in page, field
        if field in listed:
            assert full in changelist, field
    change_log = PersonalDataAccess.objects.get(user=privacy_officer, context=f"admin:change:{name}")
    assert change_log.object_ids == [obj.pk]
    assert change_log.content_type == ContentType.objects.get_for_model(model)
    assert set(change_log.fields) == set(numbers(obj))
    if listed:
        list_log = PersonalDataAccess.objects.get(user=privacy_officer, context=f"admin:list:{name}")
        assert list_log.object_ids == [obj.pk]
        assert set(list_log.fields) == listed


@pytest.mark.parametrize("model", list(RECORDS), ids=lambda m: m._meta.label)
def test_township_staff_get_masked_inputs_and_saving_unchanged_keeps_the_numbers(client, world, staff_a, model):
    obj = RECORDS[model](world)
    client.force_login(staff_a)
    response = client.get(url(model, "change", obj.pk))
    assert response.status_code == 200
    page = response.content.decode()
    form = response.context["adminform"].form
    for name, (full, masked) in numbers(obj).items():
        assert full not in page, name
        assert f'value="{masked}"' in page, name
        assert form[name].value() == masked
    response = client.post(url(model, "change", obj.pk), post_data(response))
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    stored = type(obj)._base_manager.get(pk=obj.pk)
    for name, (full, _masked) in numbers(obj).items():
        assert getattr(stored, name) == full, name


def test_township_staff_who_type_a_new_number_change_it(client, world, staff_a):
    person = RECORDS[Person](world)
    client.force_login(staff_a)
    data = post_data(client.get(url(Person, "change", person.pk)))
    data["phone"] = "18800001111"
    assert client.post(url(Person, "change", person.pk), data).status_code == 302
    person.refresh_from_db()
    assert person.phone == "18800001111"
    assert person.id_number == id_number("37083019900101123")


def test_the_search_by_a_partial_phone_number_finds_nothing_without_the_right(client, world, official, privacy_officer):
    """Partial matches would reveal a masked number digit by digit: only a whole number is searched."""
    RECORDS[Person](world)
    client.force_login(official)
    assert list(client.get(url(Person, "changelist"), {"q": "1351111"}).context["cl"].result_list) == []
    assert len(client.get(url(Person, "changelist"), {"q": "13511112222"}).context["cl"].result_list) == 1
    client.force_login(privacy_officer)
    assert len(client.get(url(Person, "changelist"), {"q": "1351111"}).context["cl"].result_list) == 1


# -- inlines --------------------------------------------------------------------------------------


@pytest.mark.parametrize("parent,child", [("grid", GridWorker), ("committee", Advisor)])
def test_inline_rows_mask_numbers_and_keep_them_when_saved_unchanged(client, world, official, staff_a, privacy_officer,
                                                                      parent, child):
    row = RECORDS[child](world)
    owner = world[parent]
    full, masked = row.phone, mask_phone(row.phone)

    client.force_login(official)  # view only: the inline rows are read-only
    page = client.get(url(type(owner), "change", owner.pk)).content.decode()
    assert full not in page and masked in page

    client.force_login(staff_a)  # editable inline rows
    response = client.get(url(type(owner), "change", owner.pk))
    page = response.content.decode()
    assert full not in page and f'value="{masked}"' in page
    assert client.post(url(type(owner), "change", owner.pk), post_data(response)).status_code == 302
    row.refresh_from_db()
    assert row.phone == full

    client.force_login(privacy_officer)
    page = client.get(url(type(owner), "change", owner.pk)).content.decode()
    assert full in page
    entry = PersonalDataAccess.objects.get(user=privacy_officer, content_type=ContentType.objects.get_for_model(child))
    assert entry.object_ids == [row.pk]
    assert entry.context == f"admin:change:{type(owner)._meta.model_name}"


# -- the change log -------------------------------------------------------------------------------


def homestead_update(world):
    """A homestead whose holder's ID number was filled in: the log entry of that change."""
    homestead = Homestead.objects.create(village=world["village"], parcel_code="370830104201JC00002", holder_name="吴九",
                                         holder_id_number=id_number("37083019800505123"), area=Decimal("120"), surveyed_on=D)
    homestead.holder_id_number = id_number("37083019800606123")
    homestead.save()
    entry = ObjectChange.objects.filter(content_type=ContentType.objects.get_for_model(Homestead),
                                        object_id=str(homestead.pk), action="update").get()
    return homestead, entry


def test_the_change_log_admin_masks_personal_values_without_the_right(client, world, official):
    homestead, entry = homestead_update(world)
    before, after = id_number("37083019800505123"), id_number("37083019800606123")
    client.force_login(official)
    for view in (client.get(url(ObjectChange, "change", entry.pk)), client.get(url(ObjectChange, "changelist"))):
        assert view.status_code == 200
        page = view.content.decode()
        assert before not in page and after not in page
    page = client.get(url(ObjectChange, "change", entry.pk)).content.decode()
    assert mask_id_number(before) in page and mask_id_number(after) in page
    create = ObjectChange.objects.get(content_type=entry.content_type, object_id=entry.object_id, action="create")
    page = client.get(url(ObjectChange, "change", create.pk)).content.decode()  # postchange_data of the creation
    assert before not in page and mask_id_number(before) in page
    assert not PersonalDataAccess.objects.exists()


def test_the_change_log_admin_shows_them_to_a_user_with_the_right_and_records_it(client, world, privacy_officer):
    homestead, entry = homestead_update(world)
    client.force_login(privacy_officer)
    page = client.get(url(ObjectChange, "change", entry.pk)).content.decode()
    assert id_number("37083019800505123") in page and id_number("37083019800606123") in page
    access = PersonalDataAccess.objects.get(user=privacy_officer)
    assert access.context == "admin:change:objectchange"
    assert access.content_type == ContentType.objects.get_for_model(Homestead)
    assert access.object_ids == [homestead.pk]
    assert access.fields == ["holder_id_number"]


def test_the_portal_history_masks_personal_values_without_the_right(client, world, official, privacy_officer):
    homestead, _entry = homestead_update(world)
    before, after = id_number("37083019800505123"), id_number("37083019800606123")
    client.force_login(official)
    page = client.get(detail_url(homestead)).content.decode()
    assert before not in page and after not in page
    assert mask_id_number(before) in page and mask_id_number(after) in page
    client.force_login(privacy_officer)
    page = client.get(detail_url(homestead)).content.decode()
    assert before in page and after in page
    assert PersonalDataAccess.objects.filter(user=privacy_officer, object_ids=[homestead.pk]).exists()


def test_the_change_log_display_masks_every_personal_value(world):
    """The ``changes`` column and the before/after JSON of a masked entry."""
    from wenshang.web.admin import masked_change

    _homestead, entry = homestead_update(world)
    masked = masked_change(entry)
    text = json.dumps([masked.prechange_data, masked.postchange_data], ensure_ascii=False)
    assert id_number("37083019800505123") not in text and mask_id_number(id_number("37083019800505123")) in text
    assert entry.postchange_data["holder_id_number"] == id_number("37083019800606123")  # the entry itself is untouched


# -- who may read the access log -------------------------------------------------------------------


@pytest.fixture
def access_entry(world, admin_user):
    person = RECORDS[Person](world)
    return PersonalDataAccess.objects.create(user=admin_user, content_type=ContentType.objects.get_for_model(Person),
                                             object_ids=[person.pk], fields=["id_number"], context="detail:people")


@pytest.mark.parametrize("who", ["official", "staff_a", "finance_editor", "privacy_officer"])
def test_only_county_administrators_read_the_access_log(client, access_entry, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    index = client.get(reverse("admin:index"))
    assert url(PersonalDataAccess, "changelist") not in index.content.decode()
    assert client.get(url(PersonalDataAccess, "changelist")).status_code in (302, 403)
    assert client.get(url(PersonalDataAccess, "change", access_entry.pk)).status_code in (302, 403, 404)
    assert not PersonalDataAccess.objects.restrict(user, "view").exists()


@pytest.mark.parametrize("who", ["admin_user", "superuser"])
def test_county_administrators_and_superusers_read_the_access_log(client, access_entry, request, who):
    client.force_login(request.getfixturevalue(who))
    assert url(PersonalDataAccess, "changelist") in client.get(reverse("admin:index")).content.decode()
    assert client.get(url(PersonalDataAccess, "changelist")).status_code == 200
    assert client.get(url(PersonalDataAccess, "change", access_entry.pk)).status_code == 200
