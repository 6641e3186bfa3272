from django.db import models
from django.utils.translation import gettext_lazy as _


class AllianceScope(models.TextChoices):
    COUNTY = "county", _("County-wide alliance")
    TOWNSHIP = "township", _("Township alliance")
    INDUSTRY = "industry", _("Industry alliance")


class UnitKind(models.TextChoices):
    PARK = "park", _("Industrial park")
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")
    MARKET = "market", _("Market")
    LOGISTICS = "logistics", _("Logistics firm")
    ECOMMERCE = "ecommerce", _("E-commerce platform")
    ENTERPRISE = "enterprise", _("Enterprise")
    DEPARTMENT = "department", _("Government department")


class MemberRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    MEMBER = "member", _("Member unit")


class ActivityKind(models.TextChoices):
    THEME_DAY = "theme_day", _("Rotating party theme day")
    JOINT_MEETING = "joint_meeting", _("Joint meeting")
    STUDY_VISIT = "study_visit", _("Study visit")
    PROJECT_PUSH = "project_push", _("Major project pushed together")
    TALENT = "talent", _("Joint talent management")


class FundEntryKind(models.TextChoices):
    CONTRIBUTION = "contribution", _("Contribution")
    DISBURSEMENT = "disbursement", _("Disbursement")


class EvaluationGrade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


class PairingMode(models.TextChoices):
    PARTY_BUILDING = "party_building", _("Joint party building")
    TALENT = "talent", _("Joint talent training")
    PROJECTS = "projects", _("Linked projects")
    RESOURCES = "resources", _("Shared resources")
    PRODUCTION_SALES = "production_sales", _("Joint production and sales")
    PRACTICAL_MATTERS = "practical_matters", _("Practical matters done together")


class PairingPath(models.TextChoices):
    ORGANIZATION = "organization", _("Organizations built together")
    TALENT = "talent", _("Talent cultivation")
    SPECIALTY = "specialty", _("Specialty industry")
    TOURISM = "tourism", _("Culture and tourism")
    CHAIN = "chain", _("Extending the industry chain")
    GOVERNANCE = "governance", _("Village and enterprise governing together")


class PairingStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class ResponsibilityStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    DONE = "done", _("Done")
