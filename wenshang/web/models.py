"""The web layer's model: the search index that the global search and the lookup fields read."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.scope import RestrictedQuerySet


class SearchEntry(models.Model):
    """The global search index: one row per village, person, enterprise, alliance and project,
    with its name, code, township and county (for scope) and pinyin (full and initials, so that ``dsl`` finds 东石楼村). Kept
    current by signals on those models and rebuilt in bulk by ``wenshang.web.search.rebuild``."""

    kind = models.CharField(_("kind"), max_length=16)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    township = models.ForeignKey(
        "villages.Township", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    county = models.ForeignKey(
        "villages.County", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    code = models.CharField(_("code"), max_length=40, blank=True, db_index=True)
    initials = models.CharField(_("pinyin initials"), max_length=200, db_index=True)
    pinyin = models.CharField(_("pinyin"), max_length=600, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    scope_null_visible = True
    county_path = "county"  # a county-wide record (an alliance of the county) has its county only
    scope_editable = False

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search index")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id"], name="searchentry_unique")]

    def __str__(self):
        return self.name


class MetricAggregate(models.Model):
    """The figures kept pre-aggregated (``wenshang.web.aggregates``): one row per metric and place
    (and quarter, for a dated metric), at three levels, current in the same transaction as every
    write. ``level`` ``v``: a village's rows (or, for rows without a village, the township's; for a
    metric of no township, the county's), grouped from the records; ``t``: a township's, grouped
    from the ``v`` rows; ``c``: a county's, grouped from the ``t`` rows; ``k``: a county's total over every quarter (a distinct metric:
    its values counted once), from the ``c`` rows; ``p``: every county's, per
    quarter, grouped from the ``c`` rows (a distinct metric: how many values are first counted in
    the quarter, in any county, so that "as of" a quarter is a sum). ``year``/``quarter``: when
    the rows are dated (``quarter`` 0 for a metric dated by its year; both empty when undated).
    ``member``: a distinct metric's value counted once (``distinct:<field>``; a digest, never the
    value itself), empty otherwise. ``value``: the count, the sum, or a ratio's numerator; ``den``:
    a ratio's denominator."""

    class Level(models.TextChoices):
        VILLAGE = "v", _("village")
        TOWNSHIP = "t", _("township")
        COUNTY = "c", _("county")
        COUNTY_TOTAL = "k", _("county, every quarter")
        ALL = "p", _("all counties")

    level = models.CharField(_("level"), max_length=1, choices=Level.choices)
    metric = models.CharField(_("metric"), max_length=64)
    county = models.ForeignKey(
        "villages.County", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
        db_index=False,  # the indexes below lead with level and metric, as every read does
    )
    township = models.ForeignKey(
        "villages.Township", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
        db_index=False,  # the indexes below lead with level and metric, as every read does
    )
    village = models.ForeignKey(
        "villages.Village", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False,
        db_index=False,  # the indexes below lead with level and metric, as every read does
    )
    year = models.SmallIntegerField(_("year"), null=True, blank=True)
    quarter = models.SmallIntegerField(_("quarter"), null=True, blank=True)
    member = models.CharField(_("member"), max_length=64, blank=True, default="")
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=2, default=0)
    den = models.DecimalField(_("denominator"), max_digits=24, decimal_places=2, null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    scope_null_visible = True  # a county's rows (no township) are read by its townships' staff
    county_path = "county"
    scope_editable = False  # kept by the portal itself

    class Meta:
        verbose_name = _("metric aggregate")
        verbose_name_plural = _("metric aggregates")
        ordering = ["level", "metric", "county", "township", "village", "year", "quarter"]
        indexes = [
            models.Index(fields=["level", "metric", "village"], name="metricagg_village_idx"),
            models.Index(fields=["level", "metric", "township", "year", "quarter"], name="metricagg_township_idx"),
            models.Index(fields=["level", "metric", "county", "year", "quarter"], name="metricagg_county_idx"),
            models.Index(fields=["level", "metric", "member"], name="metricagg_member_idx", condition=~models.Q(member="")),
        ]

    def __str__(self):
        return f"{self.metric} {self.level} {self.village_id or self.township_id or self.county_id} {self.year}Q{self.quarter}"
