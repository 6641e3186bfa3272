from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from talent.models import (
    FirstSecretary,
    FirstSecretaryAlliance,
    FirstSecretaryAttendance,
    FirstSecretaryBatch,
    FirstSecretaryEvaluation,
    Honour,
    Partner,
    PartySchool,
    Person,
    RecruitingStation,
    ReserveCadre,
    Returnee,
    SecretaryAssessment,
    SubAlliance,
    Training,
    TrainingAttendance,
    VillageSecretary,
    Workstation,
)
from talent.views import (
    FirstSecretaryAllianceViews,
    FirstSecretaryAttendanceViews,
    FirstSecretaryBatchViews,
    FirstSecretaryEvaluationViews,
    FirstSecretaryViews,
    HonourViews,
    PartnerViews,
    PartySchoolViews,
    PersonViews,
    RecruitingStationViews,
    ReserveCadreViews,
    ReturneeViews,
    SecretaryAssessmentViews,
    SubAllianceViews,
    TrainingAttendanceViews,
    TrainingViews,
    VillageSecretaryViews,
    WorkstationViews,
)
from tests.talent.helpers import CountyLevelTests, id_number, person, village
from tests.viewtests import ModelViewTests
from wenshang.kernel.choices import Role
from wenshang.kernel.models import PersonalDataAccess
from wenshang.kernel.validators import mask_id_number


def secretary(township, n=0):
    return VillageSecretary.objects.create(person=person(township, name=f"书记{n}"), village=village(township, n), start_date=date(2021, 1, 5))


def batch(year=2021, county=None):
    """The batch of ``year`` (of ``county``, a county-level catalogue; None: the only county's)."""
    of = {"county": county} if county is not None else {}
    obj, _ = FirstSecretaryBatch.objects.get_or_create(year=year, **of, defaults={"name": f"{year}年度驻村第一书记",
                                                                                  "start_date": date(year, 6, 1)})
    return obj


def first_secretary(township, n=0):
    return FirstSecretary.objects.create(
        person=person(township, name=f"第一书记{n}"), batch=batch(county=township.county), village=village(township, n), sending_unit="县委组织部",
        start_date=date(2021, 6, 1),
    )


def training(township, n=0):
    return Training.objects.create(
        name=f"高素质农民培训班{n}", kind="high_quality_farmer", organizer="县农业农村局", township=township,
        start_date=date(2023, 3, 1), end_date=date(2023, 3, 5), hours=32,
    )


def workstation(township, n=0):
    return Workstation.objects.create(name=f"{township.name}乡村振兴工作站{n}", township=township, established_on=date(2021, 6, 1))


class TestPersonViews(ModelViewTests):
    config = PersonViews
    changes = {"name": "张改名", "workplace": "县农业农村局"}

    def make(self, township, n=0):
        return person(township, name=f"张{n}", phone="13800000000")

    def form_data(self, township):
        return {"name": "李四", "id_number": id_number(), "township": township.pk, "phone": "13912345678",
                "education": "bachelor", "is_party_member": "on"}


class TestVillageSecretaryViews(ModelViewTests):
    config = VillageSecretaryViews
    changes = {"start_date": "2021-01-20"}

    def make(self, township, n=0):
        return secretary(township, n)

    def form_data(self, township):
        return {"person": person(township, name="新书记").id_number, "village": village(township, 50).pk,
                "start_date": "2021-02-01", "is_also_director": "on"}


class TestSecretaryAssessmentViews(ModelViewTests):
    config = SecretaryAssessmentViews
    changes = {"result": "较好"}

    def make(self, township, n=0):
        return SecretaryAssessment.objects.create(secretary=secretary(township, n), kind="arena", date=date(2022, 11, 5),
                                                  score=Decimal("88.5"), result="一等奖")

    def form_data(self, township):
        return {"secretary": secretary(township, 50).pk, "kind": "upgraded_report", "date": "2023-01-15", "score": "90.0",
                "result": "好"}


class TestReserveCadreViews(ModelViewTests):
    config = ReserveCadreViews
    changes = {"mentor": "李书记"}

    def make(self, township, n=0):
        return ReserveCadre.objects.create(person=person(township, name=f"后备{n}"), village=village(township, n), mentor="王书记",
                                           since=date(2022, 3, 1))

    def form_data(self, township):
        return {"person": person(township, name="新后备").id_number, "village": village(township, 50).pk, "mentor": "王书记",
                "since": "2022-03-01", "status": "training"}


class TestRecruitingStationViews(CountyLevelTests, ModelViewTests):
    config = RecruitingStationViews
    editor = "admin_user"
    changes = {"contact": "李四"}

    def make(self, township, n=0):
        return RecruitingStation.objects.create(name=f"北京归雁回引工作站{n}", city="北京", established_on=date(2021, 5, 1),
                                                county=township.county)

    def form_data(self, township):
        return {"name": "上海归雁回引工作站", "city": "上海", "established_on": "2021-06-01", "contact": "张三"}


class TestReturneeViews(ModelViewTests):
    config = ReturneeViews
    changes = {"from_city": "苏州"}

    def make(self, township, n=0):
        return Returnee.objects.create(person=person(township, name=f"归雁{n}"), returned_on=date(2023, 4, 1), from_city="杭州",
                                       role="startup")

    def form_data(self, township):
        return {"person": person(township, name="新归雁").id_number, "returned_on": "2023-05-01", "from_city": "杭州", "role": "post"}


class TestWorkstationViews(ModelViewTests):
    config = WorkstationViews
    changes = {"name": "改名工作站"}

    def make(self, township, n=0):
        return workstation(township, n)

    def form_data(self, township):
        return {"name": "新工作站", "township": township.pk, "established_on": "2022-01-01"}


class TestPartnerViews(ModelViewTests):
    config = PartnerViews
    changes = {"field": "乡村旅游"}

    def make(self, township, n=0):
        return Partner.objects.create(person=person(township, name=f"合伙人{n}"), workstation=workstation(township, n), field="电商",
                                      joined_on=date(2022, 1, 1))

    def form_data(self, township):
        return {"person": person(township, name="新合伙人").id_number, "workstation": workstation(township, 50).pk,
                "organization": "杭州某投资有限公司", "field": "花卉种业", "joined_on": "2022-05-01"}


class TestPartySchoolViews(ModelViewTests):
    config = PartySchoolViews
    changes = {"name": "改名党校"}

    def make(self, township, n=0):
        return PartySchool.objects.create(name=f"{township.name}党校{n}", level="township", township=township)

    def form_data(self, township):
        return {"name": "新教学点", "level": "teaching_point", "township": township.pk}


class TestTrainingViews(ModelViewTests):
    config = TrainingViews
    changes = {"hours": 40}

    def make(self, township, n=0):
        return training(township, n)

    def form_data(self, township):
        return {"name": "新培训班", "kind": "skills", "organizer": "县人社局", "township": township.pk, "start_date": "2023-04-01",
                "end_date": "2023-04-03", "hours": 24}


class TestTrainingAttendanceViews(ModelViewTests):
    config = TrainingAttendanceViews
    changes = {"certificate_no": "WSNM00002"}

    def make(self, township, n=0):
        return TrainingAttendance.objects.create(training=training(township, n), person=person(township, name=f"学员{n}"),
                                                 certificate_no="WSNM00001")

    def form_data(self, township):
        return {"training": training(township, 50).pk, "person": person(township, name="新学员").id_number, "completed": "on"}


class TestHonourViews(ModelViewTests):
    config = HonourViews
    changes = {"awarded_by": "团市委"}

    def make(self, township, n=0):
        return Honour.objects.create(person=person(township, name=f"青年{n}"), kind="good_youth", year=2023, awarded_by="团县委")

    def form_data(self, township):
        return {"person": person(township, name="新青年").id_number, "kind": "agritech_model", "year": 2023}


class TestFirstSecretaryBatchViews(CountyLevelTests, ModelViewTests):
    config = FirstSecretaryBatchViews
    editor = "admin_user"
    changes = {"name": "改名批次"}

    def make(self, township, n=0):
        return batch(2010 + n)

    def form_data(self, township):
        return {"year": 2030, "name": "2030年度驻村第一书记", "start_date": "2030-06-01"}


class TestFirstSecretaryAllianceViews(CountyLevelTests, ModelViewTests):
    config = FirstSecretaryAllianceViews
    editor = "admin_user"
    changes = {"name": "改名联盟"}

    def make(self, township, n=0):
        return FirstSecretaryAlliance.objects.create(name=f"第一书记联盟{n}", founded_on=date(2021, 9, 1), county=township.county)

    def form_data(self, township):
        return {"name": "新联盟", "founded_on": "2022-01-01"}


class TestSubAllianceViews(CountyLevelTests, ModelViewTests):
    config = SubAllianceViews
    editor = "admin_user"
    changes = {"focus": "甘薯"}

    def alliance(self, township):
        obj, _ = FirstSecretaryAlliance.objects.get_or_create(name="汶上县第一书记联盟", county=township.county,
                                                              defaults={"founded_on": date(2021, 9, 1)})
        return obj

    def make(self, township, n=0):
        return SubAlliance.objects.create(alliance=self.alliance(township), number=n + 1, name=f"第{n + 1}分盟", focus="芦花鸡")

    def form_data(self, township):
        return {"alliance": self.alliance(township).pk, "number": 99, "name": "新分盟", "focus": "电商直播"}


class TestFirstSecretaryViews(ModelViewTests):
    config = FirstSecretaryViews
    changes = {"sending_unit": "县财政局"}

    def make(self, township, n=0):
        return first_secretary(township, n)

    def form_data(self, township):
        return {"person": person(township, name="新第一书记").id_number, "batch": batch().pk, "village": village(township, 50).pk,
                "sending_unit": "县教体局", "start_date": "2021-06-01"}


class TestFirstSecretaryAttendanceViews(ModelViewTests):
    config = FirstSecretaryAttendanceViews
    changes = {"days_present": 19}

    def make(self, township, n=0):
        return FirstSecretaryAttendance.objects.create(secretary=first_secretary(township, n), month=date(2023, 5, 1),
                                                       days_required=22, days_present=20)

    def form_data(self, township):
        return {"secretary": first_secretary(township, 50).pk, "month": "2023-06-01", "days_required": 21, "days_present": 21}


class TestFirstSecretaryEvaluationViews(ModelViewTests):
    config = FirstSecretaryEvaluationViews
    changes = {"remarks": "年度考核优秀"}

    def make(self, township, n=0):
        return FirstSecretaryEvaluation.objects.create(secretary=first_secretary(township, n), year=2022, grade="excellent",
                                                       score=Decimal("95.0"))

    def form_data(self, township):
        return {"secretary": first_secretary(township, 50).pk, "year": 2023, "grade": "competent", "score": "85.0"}


# -- ID numbers in the people pages ----------------------------------------------------------------
@pytest.fixture
def viewer(make_user, township_a):
    """Township staff of township A granted the right to see personal data."""
    return make_user("privacy_viewer", role=Role.TOWNSHIP, township=township_a, sees_personal_data=True)


@pytest.mark.django_db
class TestPeoplePersonalData:
    def test_staff_see_id_numbers_masked_in_the_list_and_detail(self, client, users, township_a):
        someone = person(township_a, name="王五")
        masked = mask_id_number(someone.id_number)
        assert masked == someone.id_number[:6] + "********" + someone.id_number[-4:]
        client.force_login(users["staff_a"])
        for url in (reverse("talent:person_list"), reverse("talent:person_detail", args=[someone.pk])):
            html = client.get(url).content.decode()
            assert masked in html, url
            assert someone.id_number not in html, url
        assert not PersonalDataAccess.objects.exists()

    def test_the_right_shows_them_in_full_and_every_view_is_recorded(self, client, viewer, township_a):
        someone = person(township_a, name="王五")
        client.force_login(viewer)
        html = client.get(reverse("talent:person_list")).content.decode()
        assert someone.id_number in html
        access = PersonalDataAccess.objects.get()
        assert (access.user, access.context, access.object_ids, access.fields) == (viewer, "list:people", [someone.pk], ["id_number"])
        html = client.get(reverse("talent:person_detail", args=[someone.pk])).content.decode()
        assert someone.id_number in html
        assert PersonalDataAccess.objects.filter(user=viewer, context="detail:people", object_ids=[someone.pk]).exists()

    def test_the_edit_form_masks_them_too_and_keeps_the_number(self, client, users, township_a):
        someone = person(township_a, name="王五", phone="13800001234")
        client.force_login(users["staff_a"])
        url = reverse("talent:person_edit", args=[someone.pk])
        html = client.get(url).content.decode()
        assert mask_id_number(someone.id_number) in html and someone.id_number not in html
        assert "13800001234" not in html
        data = TestPersonViews().post_data(someone) | {"name": "王五一"}
        assert data["id_number"] == mask_id_number(someone.id_number)
        assert client.post(url, data).status_code == 302
        stored = Person.objects.get(pk=someone.pk)
        assert (stored.name, stored.id_number, stored.phone) == ("王五一", someone.id_number, "13800001234")

    def test_the_edit_form_shows_them_in_full_to_the_right_and_records_it(self, client, viewer, township_a):
        someone = person(township_a, name="王五")
        client.force_login(viewer)
        html = client.get(reverse("talent:person_edit", args=[someone.pk])).content.decode()
        assert someone.id_number in html
        assert PersonalDataAccess.objects.filter(user=viewer, context="form:person", object_ids=[someone.pk]).exists()


# -- a person is named by their ID number -----------------------------------------------------------
@pytest.mark.django_db
class TestPersonByIdNumber:
    def post(self, client, township, typed):
        return client.post(reverse("talent:honour_add"), {"person": typed, "kind": "good_youth", "year": 2023})

    def test_the_form_looks_a_person_up_instead_of_listing_everyone(self, client, users, township_a):
        someone = person(township_a)
        client.force_login(users["staff_a"])
        html = client.get(reverse("talent:villagesecretary_add")).content.decode()
        assert 'data-lookup-url="/lookup/talent.person/"' in html and someone.name not in html

    def test_a_person_is_found_by_their_id_number(self, client, users, township_a):
        someone = person(township_a)
        client.force_login(users["staff_a"])
        response = self.post(client, township_a, someone.id_number.lower())
        assert response.status_code == 302, response.context["form"].errors
        assert Honour.objects.get().person == someone

    def test_an_unknown_number_is_a_clear_error(self, client, users, township_a):
        client.force_login(users["staff_a"])
        missing = id_number()
        response = self.post(client, township_a, missing)
        assert response.status_code == 200
        error = response.context["form"].errors["person"].as_data()[0]
        assert error.code == "not_found" and missing in error.message % error.params
        assert missing in response.content.decode()
        assert not Honour.objects.exists()

    def test_a_person_of_another_township_is_not_found(self, client, users, township_a, township_b):
        theirs = person(township_b)
        client.force_login(users["staff_a"])
        response = self.post(client, township_a, theirs.id_number)
        assert response.status_code == 200
        assert response.context["form"].errors["person"].as_data()[0].code == "not_found"
        assert not Honour.objects.exists()

    def test_a_malformed_number_says_what_a_number_looks_like(self, client, users, township_a):
        client.force_login(users["staff_a"])
        response = self.post(client, township_a, "3708301990")  # a number too short (short digits are ids)
        assert response.context["form"].errors["person"].as_data()[0].code == "id_format"

    def test_an_edit_names_the_linked_person_and_can_change_them(self, client, users, township_a):
        term = secretary(township_a)
        successor = person(township_a, name="接任者")
        client.force_login(users["staff_a"])
        url = reverse("talent:villagesecretary_edit", args=[term.pk])
        html = client.get(url).content.decode()
        assert mask_id_number(term.person.id_number) in html and term.person.id_number not in html
        assert term.person.name in html  # "Now: 书记0." under the field
        data = TestVillageSecretaryViews().post_data(term) | {"person": successor.id_number}
        assert client.post(url, data).status_code == 302
        term.refresh_from_db()
        assert term.person == successor
