from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior middle school")
    SENIOR = "senior", _("Senior middle school or vocational")
    COLLEGE = "college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor's degree")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class AssessmentKind(models.TextChoices):
    ARENA = "arena", _("Arena contest")
    UPGRADED_REPORT = "upgraded_report", _("Upgraded work report")


class ReserveStatus(models.TextChoices):
    TRAINING = "training", _("In training")
    APPOINTED = "appointed", _("Appointed to the village committee")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ReturneeRole(models.TextChoices):
    STARTUP = "startup", _("Started a business")
    POST = "post", _("Took a village post")
    BOTH = "both", _("Business and village post")


class PartySchoolLevel(models.TextChoices):
    COUNTY = "county", _("County party school")
    TOWNSHIP = "township", _("Township party school")
    TEACHING_POINT = "teaching_point", _("Village teaching point")


class TrainingKind(models.TextChoices):
    HIGH_QUALITY_FARMER = "high_quality_farmer", _("High-quality farmers")
    COMPOSITE_TALENT = "composite_talent", _("Composite agricultural talents")
    SECRETARY = "secretary", _("Village secretaries")
    SKILLS = "skills", _("Vocational skills")


class HonourKind(models.TextChoices):
    GOOD_YOUTH = "good_youth", _("Good youth of every village")
    AGRITECH_MODEL = "agritech_model", _("Agri-tech model worker")


class EvaluationGrade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    COMPETENT = "competent", _("Competent")
    BASIC = "basic", _("Basically competent")
    INCOMPETENT = "incompetent", _("Incompetent")
