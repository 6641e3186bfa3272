from django.db import models
from django.utils.translation import gettext_lazy as _


class LoanKind(models.TextChoices):
    PROJECT = "project", _("Rural-revitalization project loan")
    MORTGAGE_AGRI = "mortgage_agri", _("Mortgage-agriculture loan")
    HOMESTEAD_CREDIT = "homestead_credit", _("Homestead credit")
    STARTUP_GUARANTEE = "startup_guarantee", _("Entrepreneurship guarantee loan")
    LUQING = "luqing", _("Luqing benchmark loan")


STARTUP_KINDS = (LoanKind.STARTUP_GUARANTEE, LoanKind.LUQING)


class LoanStatus(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REPAYING = "repaying", _("Repaying")
    REPAID = "repaid", _("Repaid")
    OVERDUE = "overdue", _("Overdue")


class HomesteadUse(models.TextChoices):
    OCCUPIED = "occupied", _("Lived in")
    IDLE = "idle", _("Idle")
    LEASED = "leased", _("Leased out")
    BUSINESS = "business", _("Used for business")
    VACANT = "vacant", _("Vacant plot")


class LandUse(models.TextChoices):
    INDUSTRIAL = "industrial", _("Industrial")
    COMMERCIAL = "commercial", _("Commercial")
    TOURISM = "tourism", _("Tourism")
    WAREHOUSING = "warehousing", _("Warehousing and logistics")
