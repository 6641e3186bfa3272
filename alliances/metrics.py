"""The alliances app's figures (see ``wenshang.web.figures``): alliances, joint committees, pairings."""
from django.db.models import Q

from wenshang.web.figures import Metric, year_of

from .models import AllianceMembership


def _members(t):
    return Q(pk__in=AllianceMembership.objects.values("unit"))


def _members_by(day):
    return Q(pk__in=AllianceMembership.objects.filter(joined_on__lte=day).values("unit"))


_income_year = year_of("pairing_collective_income_2023")

METRICS = [
    Metric("alliances", "alliances.Alliance", date="founded_on", plural="alliances"),
    Metric("alliance_member_units", "alliances.MemberUnit", _members, as_of=_members_by, plural="member-units",
           params=(("in_alliance", "true"),)),
    Metric("joint_committees", "alliances.JointCommittee", date="established_on", plural="joint-committees"),
    Metric("joint_committee_villages", "alliances.JointCommitteeVillage", date="joined_on",
           township_path="village__township", village_path="village", plural="joint-committee-villages"),
    Metric("development_advisors", "alliances.Advisor", date="start_date", township_path="joint_committee__township",
           plural="advisors"),
    Metric("task_force_units", "alliances.TaskForceUnit", township_path=None, county_only=True, plural="task-force-units"),
    Metric("paired_enterprises", "alliances.Pairing", agg="distinct:enterprise", date="start_date",
           township_path="village__township", plural="pairings", params=(("one_per_enterprise", "true"),)),
    Metric("pairing_collective_income_2023", "alliances.PairingOutcome", {"year": _income_year}, "sum:income_added",
           date="year", date_is_year=True, township_path="pairing__village__township", village_path="pairing__village",
           unit="yuan", plural="pairing-outcomes", params=(("year", _income_year),)),
    Metric("pairing_jobs", "alliances.PairingOutcome", agg="sum:jobs_added", date="year", date_is_year=True,
           township_path="pairing__village__township", village_path="pairing__village", plural="pairing-outcomes"),
    # the annual targets and the quarterly report
    Metric("pairing_income", "alliances.PairingOutcome", agg="sum:income_added", date="year", date_is_year=True,
           township_path="pairing__village__township", village_path="pairing__village", unit="yuan",
           plural="pairing-outcomes", period_params=("year",)),
    Metric("alliance_activities", "alliances.AllianceActivity", date="date", township_path="alliance__township"),
    Metric("pairings_signed", "alliances.Pairing", date="start_date", township_path="village__township",
           village_path="village"),
]
