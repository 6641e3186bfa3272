from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerRole(models.TextChoices):
    LEADER = "leader", _("Grid leader")
    WORKER = "worker", _("Grid worker")
    LANE_CHIEF = "lane_chief", _("Lane chief")


class CreditCategory(models.TextChoices):
    VOLUNTEER = "volunteer", _("Credit + volunteering")
    ENVIRONMENT = "environment", _("Credit + living environment")
    FIVE_HARMONIES = "five_harmonies", _("Five harmonies, five beauties")
    PENALTY = "penalty", _("Deduction")


class EventCategory(models.TextChoices):
    ENVIRONMENT = "environment", _("Environment and sanitation")
    DISPUTE = "dispute", _("Neighbour dispute")
    SAFETY = "safety", _("Safety hazard")
    FACILITIES = "facilities", _("Public facilities")
    SERVICE = "service", _("Request for service")
    OTHER = "other", _("Other")


class EventStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ASSIGNED = "assigned", _("Assigned")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
