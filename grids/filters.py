import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from villages.models import Township, Village
from wenshang.filters import PortalFilterSet

from .models import CreditRecord, Grid, GridEvent, GridWorker, Household, LectureHall, LectureSession


def township_filter(path):
    """The township of a record, through ``path`` (e.g. ``grid__village__township``)."""
    return django_filters.ModelChoiceFilter(field_name=path, queryset=Township.objects.all(), label=_("township"))


def village_filter(path):
    return django_filters.ModelChoiceFilter(field_name=path, queryset=Village.objects.all(), label=_("village"))



def date_range(field="date"):
    """Two filters, on or after and on or before a date (a date picker on phones)."""
    def widget():
        return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})

    return (
        django_filters.DateFilter(field_name=field, lookup_expr="gte", label=_("start date"), widget=widget()),
        django_filters.DateFilter(field_name=field, lookup_expr="lte", label=_("end date"), widget=widget()),
    )

class GridFilterSet(PortalFilterSet):
    search_fields = ("name", "code__startswith", "village__name")
    township = township_filter("village__township")

    class Meta:
        model = Grid
        fields = ["q", "township", "village"]


class GridWorkerFilterSet(PortalFilterSet):
    search_fields = ("name", "lane", "grid__name", "grid__village__name")
    township = township_filter("grid__village__township")
    village = village_filter("grid__village")

    class Meta:
        model = GridWorker
        fields = ["q", "township", "village", "role"]


class HouseholdFilterSet(PortalFilterSet):
    search_fields = ("head_name", "address", "grid__village__name")
    township = township_filter("grid__village__township")
    village = village_filter("grid__village")

    class Meta:
        model = Household
        fields = ["q", "township", "village"]


class CreditRecordFilterSet(PortalFilterSet):
    search_fields = ("household__head_name", "reason")
    township = township_filter("household__grid__village__township")
    village = village_filter("household__grid__village")
    date_after, date_before = date_range()

    class Meta:
        model = CreditRecord
        fields = ["q", "township", "village", "category", "date_after", "date_before"]


class GridEventFilterSet(PortalFilterSet):
    search_fields = ("title", "description", "reported_by", "assigned_to", "grid__village__name")
    township = township_filter("grid__village__township")
    village = village_filter("grid__village")

    class Meta:
        model = GridEvent
        fields = ["q", "township", "village", "status", "category"]


class LectureHallFilterSet(PortalFilterSet):
    search_fields = ("name", "village__name", "address")
    township = township_filter("village__township")

    class Meta:
        model = LectureHall
        fields = ["q", "township", "village"]


class LectureSessionFilterSet(PortalFilterSet):
    search_fields = ("topic", "speaker", "hall__name", "hall__village__name")
    township = township_filter("hall__village__township")
    date_after, date_before = date_range()

    class Meta:
        model = LectureSession
        fields = ["q", "township", "hall", "date_after", "date_before"]
