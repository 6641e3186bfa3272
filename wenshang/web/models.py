"""The web layer's model: the search index that the global search and the lookup fields read."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from wenshang.kernel.scope import RestrictedQuerySet


class SearchEntry(models.Model):
    """The global search index: one row per village, person, enterprise, alliance and project,
    with its name, code and pinyin (full and initials, so that ``dsl`` finds 东石楼村). Kept
    current by signals on those models and rebuilt in bulk by ``wenshang.web.search.rebuild``."""

    kind = models.CharField(_("kind"), max_length=16)
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    township = models.ForeignKey(
        "villages.Township", null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    code = models.CharField(_("code"), max_length=40, blank=True, db_index=True)
    initials = models.CharField(_("pinyin initials"), max_length=200, db_index=True)
    pinyin = models.CharField(_("pinyin"), max_length=600, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    scope_null_visible = True
    scope_editable = False

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search index")
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["content_type", "object_id"], name="searchentry_unique")]

    def __str__(self):
        return self.name
