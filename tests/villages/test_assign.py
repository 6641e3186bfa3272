"""Assigning a survey round's leader and advisor to every village of a township or a zone at once."""
from datetime import date

import pytest
from django.urls import reverse

from alliances.models import JointCommittee, JointCommitteeVillage
from villages.models import SurveyAssignment, SurveyRound, Village

URL = "/villages/survey-assignments/assign/"


@pytest.fixture
def round_(db):
    return SurveyRound.objects.create(year=2024, quarter=2, start_date=date(2024, 4, 1), end_date=date(2024, 6, 30))


def test_a_county_administrator_assigns_a_township_and_again_changes_the_leader(client, users, round_, township_a, village_a, village_b):
    second = Village.objects.create(township=township_a, code="370830104202", name="西石楼村")
    client.force_login(users["admin_user"])
    assert client.get(URL, {"round": round_.pk}).status_code == 200
    response = client.post(URL, {"round": round_.pk, "township": township_a.pk, "leader_name": "张县长", "leader_title": "副县长"})
    assert response.status_code == 302
    assert sorted(SurveyAssignment.objects.values_list("village__name", "leader_name")) == sorted([("东石楼村", "张县长"), ("西石楼村", "张县长")])
    client.post(URL, {"round": round_.pk, "township": township_a.pk, "leader_name": "李部长"})
    assert SurveyAssignment.objects.count() == 2 and set(SurveyAssignment.objects.values_list("leader_name", flat=True)) == {"李部长"}
    assert not SurveyAssignment.objects.filter(village=village_b).exists()
    assert second.survey_assignments.get().round == round_


def test_a_zone_is_assigned_and_the_form_says_what_is_missing(client, users, round_, township_a, village_a):
    committee = JointCommittee.objects.create(name="东石楼片区联合党委", township=township_a, county_leader="赵书记", established_on=date(2021, 3, 1))
    JointCommitteeVillage.objects.create(committee=committee, village=village_a, joined_on=date(2021, 3, 1))
    client.force_login(users["staff_a"])
    response = client.post(URL, {"round": round_.pk, "leader_name": ""})
    assert response.status_code == 200
    form = response.context["form"]
    assert "leader_name" in form.errors and form.non_field_errors()
    assert client.post(URL, {"round": round_.pk, "committee": committee.pk, "leader_name": "王书记"}).status_code == 302
    assert list(SurveyAssignment.objects.values_list("village", flat=True)) == [village_a.pk]


def test_township_staff_cannot_assign_another_township_and_readers_cannot_assign(client, users, round_, township_b, village_b):
    client.force_login(users["staff_a"])
    response = client.post(URL, {"round": round_.pk, "township": township_b.pk, "leader_name": "王书记"})
    assert response.status_code == 200 and "township" in response.context["form"].errors  # not offered
    client.force_login(users["official"])
    assert client.get(URL).status_code == 403
    assert SurveyAssignment.objects.count() == 0
    assert reverse("villages:surveyassignment_assign") == URL
