from django.db import models
from django.utils.translation import gettext_lazy as _


class TownshipKind(models.TextChoices):
    SUBDISTRICT = "subdistrict", _("Sub-district")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", _("Township")


class VillageKind(models.TextChoices):
    VILLAGE = "village", _("Administrative village")
    COMMUNITY = "community", _("Community")


class Tier(models.TextChoices):
    """The three tiers of village party organizations, from the weakest up."""

    FOUNDATION = "foundation", _("Strengthen foundations")
    EXCELLENCE = "excellence", _("Strive for excellence")
    MODEL = "model", _("Model")


class VillageHonourKind(models.TextChoices):
    NATIONAL_GOVERNANCE = "national_governance", _("National rural-governance demonstration village")
    PROVINCIAL_REVITALIZATION = "provincial_revitalization", _("Provincial rural-revitalization demonstration village")
    MUNICIPAL_DEMO = "municipal_demo", _("Municipal demonstration village")


class ProjectKind(models.TextChoices):
    KEY_ZONE = "key_zone", _("Key project of a demonstration zone")
    AGRI_PARK = "agri_park", _("Agricultural park project")
    SMART_AGRI_BASE = "smart_agri_base", _("Provincial smart-agriculture base")
    PAIRING = "pairing", _("Village-enterprise pairing project")
    PARTNER = "partner", _("Partner project")
    FIRST_SECRETARY = "first_secretary", _("First-secretary assistance project")
    MORTGAGE_AGRI = "mortgage_agri", _("Mortgage-agriculture project")
    OTHER = "other", _("Other project")


class ProjectStatus(models.TextChoices):
    SCREENED = "screened", _("Screened, awaiting investors")
    PLANNED = "planned", _("Planned")
    BUILDING = "building", _("Under construction")
    COMPLETED = "completed", _("Completed and in use")
    STOPPED = "stopped", _("Stopped")


class Quarter(models.IntegerChoices):
    Q1 = 1, _("Q1")
    Q2 = 2, _("Q2")
    Q3 = 3, _("Q3")
    Q4 = 4, _("Q4")


class ProblemCategory(models.TextChoices):
    ORGANIZATION = "organization", _("Organization building")
    INDUSTRY = "industry", _("Industry development")
    TALENT = "talent", _("Talent")
    GOVERNANCE = "governance", _("Rural governance")
    ENVIRONMENT = "environment", _("Living environment")
    LIVELIHOOD = "livelihood", _("People's livelihood")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("Being rectified")
    CLOSED = "closed", _("Closed")


class TargetIndicator(models.TextChoices):
    """The yearly indicators a target can be set for (how each is counted: ``wenshang.dashboard.targets``)."""

    COLLECTIVE_INCOME = "collective_income", _("Village collective income (yuan)")
    PAIRING_INCOME = "pairing_income", _("Collective income added by village-enterprise pairing (yuan)")
    LOANS_AMOUNT = "loans_amount", _("Loans granted (yuan)")
    LAND_INCOME = "land_income", _("Rural property rights transactions (yuan)")
    SURVEY_VISITS = "survey_visits", _("Grand-survey visits to villages")
    RESERVE_CADRES = "reserve_cadres", _("New reserve cadres")
    RETURNEES = "returnees", _("Talents brought back")
