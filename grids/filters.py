from django.utils.translation import gettext_lazy as _

from wenshang.web.filters import PortalFilterSet, date_range, lookup_filter, township_filter, village_filter

from .models import CreditRecord, Grid, GridEvent, GridWorker, Household, LectureHall, LectureSession


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
    household = lookup_filter("household", "grids.Household", _("household"))
    date_after, date_before = date_range()

    class Meta:
        model = CreditRecord
        fields = ["q", "township", "village", "household", "category", "date_after", "date_before"]


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
