from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("County administrator")
    OFFICIAL = "official", _("County official")
    EDITOR = "editor", _("Department editor")
    TOWNSHIP = "township", _("Township staff")


class Domain(models.TextChoices):
    """A department editor's domain: the app whose records they maintain county-wide."""

    VILLAGES = "villages", _("Villages, projects and surveys")
    ALLIANCES = "alliances", _("Alliances, joint committees and pairings")
    GRIDS = "grids", _("Grids and credit points")
    FINANCE = "finance", _("Finance, homesteads and land")
    TALENT = "talent", _("Talent")


class ChangeAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
