"""The talent app's figures (see ``wenshang.web.figures``): cadres, returnees, partners, training, honours."""
from django.db.models import Q

from wenshang.web.figures import Metric, year_of

from .choices import HonourKind, PartySchoolLevel, TrainingKind
from .models import TrainingAttendance


def _trained(kind):
    def where(t):
        return Q(pk__in=TrainingAttendance.objects.filter(completed=True, training__kind=kind).values("person"))
    return where


def _trained_by(day):
    return Q(pk__in=TrainingAttendance.objects.filter(training__end_date__lte=day).values("person"))


def _honour(key, kind):
    return Metric(key, "talent.Honour", {"kind": kind}, date="year", date_is_year=True, township_path="person__township",
                  village_path="person__village", plural="honours", params=(("kind", kind.value),))


def _batch(key):
    year = year_of(key)
    return Metric(key, "talent.FirstSecretary", {"batch__year": year}, township_path="village__township",
                  village_path="village", plural="first-secretaries", params=(("batch_year", year),))


def _people(key, kind):
    return Metric(key, "talent.Person", _trained(kind), as_of=_trained_by, village_path="village", plural="people",
                  params=(("trained", kind.value),))


_returned = {"date": "returned_on", "township_path": "person__township", "village_path": "person__village",
             "plural": "returnees", "period_params": ("returned_after", "returned_before")}
_year = year_of("returned_talents")

METRICS = [
    Metric("reserve_cadres", "talent.ReserveCadre", date="since", township_path="village__township",
           village_path="village", plural="reserve-cadres", period_params=("since_after", "since_before")),
    Metric("recruiting_stations", "talent.RecruitingStation", date="established_on", township_path=None,
           county_only=True, plural="recruiting-stations"),
    Metric("returned_talents", "talent.Returnee", {"returned_on__year": _year}, compared=False,
           params=(("returned_after", f"{_year}-01-01"), ("returned_before", f"{_year}-12-31")), **_returned),
    Metric("partner_workstations", "talent.Workstation", date="established_on", plural="workstations"),
    Metric("partners", "talent.Partner", date="joined_on", township_path="workstation__township", plural="partners"),
    _people("composite_talents_trained", TrainingKind.COMPOSITE_TALENT),
    _people("farmers_trained", TrainingKind.HIGH_QUALITY_FARMER),
    _honour("good_youth", HonourKind.GOOD_YOUTH),
    _honour("agritech_models", HonourKind.AGRITECH_MODEL),
    _batch("first_secretaries_2021"),
    _batch("first_secretaries_new"),
    Metric("township_party_schools", "talent.PartySchool", {"level": PartySchoolLevel.TOWNSHIP}, plural="party-schools",
           params=(("level", PartySchoolLevel.TOWNSHIP.value),)),
    # the annual targets and the quarterly report
    Metric("returnees", "talent.Returnee", **_returned),
    Metric("training_attendances", "talent.TrainingAttendance", date="training__start_date",
           township_path="person__township", village_path="person__village"),
    Metric("secretary_attendance", "talent.FirstSecretaryAttendance", agg="ratio:days_present/days_required", date="month",
           township_path="secretary__village__township", village_path="secretary__village", unit="percent"),
]
