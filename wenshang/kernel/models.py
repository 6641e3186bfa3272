"""The kernel's models: the base model of every record, the portal's user (role and scope), the change
log and the record of who read personal data."""
from contextlib import contextmanager
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.utils.translation import gettext_lazy as _

from wenshang.kernel import checks, pipeline
from wenshang.kernel.choices import ChangeAction, Domain, Role
from wenshang.kernel.scope import RestrictedQuerySet, county_id_of, county_path, value_at

_unique_by_database = ContextVar("unique_by_database", default=None)


@contextmanager
def unique_checked_by_database(instance):
    """Within the block, ``instance``'s own uniqueness (unique fields and unique constraints) is not
    asked before its save: the database's unique indexes decide, and refuse with ``IntegrityError``.
    For a write that is a transaction of its own (the API's single POST, PUT, PATCH), which then
    validates the record again to say which field (``full_clean``): one query less a write, and two
    writers of the same key at once get the field's message rather than a server error."""
    token = _unique_by_database.set(instance)
    try:
        yield
    finally:
        _unique_by_database.reset(token)


def COUNTY_MODEL():  # noqa: N802 - the kernel names the geography by its label only
    return apps.get_model("villages", "County")


class BaseModel(models.Model):
    """Every record of the three chains: timestamps, the scoped queryset and the change log.

    Subclasses declare ``scope_path``, the lookup from the model to its township, and, when they hold
    a county of their own (a ``county`` foreign key: county-level catalogues, records whose township
    may be empty), ``county_path = "county"`` (see ``wenshang.kernel.scope``). Such a record's county
    is filled in from its township when it is left empty (or, in a database of one county, is that
    county), and ``clean_fields`` refuses a link to a record of another county (two counties'
    records never mix). Creates, updates and deletes are recorded by ``wenshang.kernel.audit``.
    """

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    scope_null_visible = False
    county_path = None  # derived from scope_path unless the model holds its own county ("county")
    # The date that places a record in a quarter (a lookup; see ``wenshang.closing.periods``), when
    # not the date its figures are counted by (``metrics.py``).
    period_date = None
    # The fields a record of a locked quarter may still change: its later life (a loan repaid, an
    # event closed), which belongs to the quarter in which it happens, not to the record's own.
    period_open_fields = ()

    class Meta:
        abstract = True

    def fill_county(self):
        """An own county left empty: the township's (along ``scope_path``), else the only county of
        the database (a one-county portal), else left empty (the database refuses it)."""
        if type(self).county_path != "county" or self.county_id is not None:
            return
        path = type(self).scope_path
        county = value_at(self, f"{path}__county") if path else None
        if county is None:
            ids = list(COUNTY_MODEL().objects.values_list("pk", flat=True)[:2])
            county = ids[0] if len(ids) == 1 else None
        self.county_id = county

    def clean_fields(self, exclude=None):
        self.fill_county()
        super().clean_fields(self._loaded_links(exclude))
        self.check_county()

    def _loaded_links(self, exclude):
        """``exclude`` and the foreign keys whose record was loaded from the database with this one
        (a form's or the API's choice, read in the same request): Django would read each again to
        check it exists. The database's own foreign key still refuses a record deleted meanwhile."""
        exclude = set(exclude or ())
        for field in self._meta.concrete_fields:
            if not field.many_to_one or field.name in exclude or not field.is_cached(self):
                continue
            related = field.get_cached_value(self)
            if (related is not None and related._state.db is not None and not related._state.adding
                    and getattr(self, field.attname) == getattr(related, field.target_field.attname)
                    and not field.get_limit_choices_to()):
                exclude.add(field.name)
        return exclude

    def check_county(self):
        """Refuse a link to a record of another county than this record's (``ValidationError`` on
        the field): two counties' records never mix, whoever may read both (a city's user)."""
        errors = {}
        own = county_id_of(self)
        if own is None:
            return
        for field in self._meta.concrete_fields:
            if not field.many_to_one or getattr(self, field.attname) is None or field.name == "county":
                continue
            related_model = field.related_model
            if county_path(related_model) is None:
                continue
            related = getattr(self, field.name, None)
            other = county_id_of(related) if related is not None else None
            if other is not None and other != own:
                errors[field.name] = _("The record chosen belongs to another county.")
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude=None):
        if _unique_by_database.get() is self:
            return  # the database's unique indexes decide (unique_checked_by_database)
        super().validate_unique(exclude)

    def validate_constraints(self, exclude=None):
        """Django's, but a check of the row's own fields is decided in Python (``wenshang.kernel.checks``)
        rather than by a query each; the others (unique constraints, anything unsupported) as Django does."""
        exclude = set(exclude or ())
        errors = {}
        rest = []
        by_database = _unique_by_database.get() is self
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                if by_database and isinstance(constraint, models.UniqueConstraint):
                    continue
                if not isinstance(constraint, models.CheckConstraint):
                    rest.append((model_class, constraint))
                    continue
                try:
                    if checks.referenced(constraint.condition) & exclude:
                        continue  # a field already found wrong, as Django skips it
                    result = checks.holds(constraint.condition, self, model_class)
                except checks.Unsupported:
                    rest.append((model_class, constraint))
                    continue
                if result is False:
                    errors = ValidationError(constraint.get_violation_error_message(),
                                             code=constraint.violation_error_code).update_error_dict(errors)
        using = router.db_for_write(self.__class__, instance=self)
        for model_class, constraint in rest:
            try:
                constraint.validate(model_class, self, exclude=exclude, using=using)
            except ValidationError as e:
                if getattr(e, "code", None) == "unique" and len(getattr(constraint, "fields", ())) == 1:
                    errors.setdefault(constraint.fields[0], []).append(e)
                else:
                    errors = e.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.fill_county()
        # One transaction with what the write sets off (the change log, the figures' aggregates, the
        # check of a locked quarter): a refusal after the row was written leaves nothing behind.
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False), pipeline.pipelined(using):
            super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        # The values as loaded: the "before" of the change log, without another query.
        obj._loaded_values = dict(zip(field_names, values))
        return obj

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        loaded = getattr(self, "_loaded_values", None)
        if loaded is None:
            loaded = self._loaded_values = {}
        names = fields or [f.attname for f in self._meta.concrete_fields]
        for field in self._meta.concrete_fields:
            if field.attname in names or field.name in names:
                loaded[field.attname] = field.value_from_object(self)


class PortalUserManager(UserManager.from_queryset(RestrictedQuerySet)):
    pass


class User(AbstractUser):
    """A portal user: a role and a scope, the narrowest of ``township``, ``county`` and ``city`` that
    is set (a township's user has its county set too); none set means every record of the portal."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICIAL)
    city = models.ForeignKey(
        "villages.City",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("For city officials: every county of the city."),
    )
    county = models.ForeignKey(
        "villages.County",
        verbose_name=_("county"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("The county whose records the user works on."),
    )
    township = models.ForeignKey(
        "villages.Township",
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("Empty means the whole county."),
    )
    domain = models.CharField(
        _("domain"),
        max_length=16,
        choices=Domain.choices,
        blank=True,
        help_text=_("For department editors: the records they maintain county-wide."),
    )

    sees_personal_data = models.BooleanField(
        _("may see personal data"),
        default=False,
        help_text=_("National ID and phone numbers are shown in full (each view is recorded); otherwise masked."),
    )
    is_api_client = models.BooleanField(
        _("API client"),
        default=False,
        editable=False,
        help_text=_("The account of an API token (another system), not a person: it cannot log in to the portal."),
    )

    objects = PortalUserManager()

    scope_path = "township"
    scope_null_visible = False
    county_path = "county"
    city_path = "city"  # a city's user has no county: the users of a city are those of its city
    admin_only = True

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def fill_levels(self):
        """The levels above the narrowest one set: a township's county, a county's city."""
        if self.township_id and not self.county_id:
            self.county_id = self.township.county_id
        if self.county_id and not self.city_id:
            self.city_id = self.county.city_id

    def clean(self):
        super().clean()
        if self.township_id and self.county_id and self.township.county_id != self.county_id:
            raise ValidationError({"county": _("The township chosen is not in this county.")})
        if self.county_id and self.city_id and self.county.city_id != self.city_id:
            raise ValidationError({"city": _("The county chosen is not in this city.")})
        self.fill_levels()
        if self.role == Role.TOWNSHIP and not self.township_id:
            raise ValidationError({"township": _("Township staff must belong to a township.")})
        if self.role == Role.EDITOR and not self.domain:
            raise ValidationError({"domain": _("A department editor needs a domain.")})
        if self.role != Role.EDITOR and self.domain:
            raise ValidationError({"domain": _("Only department editors have a domain.")})

    @property
    def may_see_personal_data(self):
        """County administrators and users granted the right see ID and phone numbers unmasked."""
        if self.is_api_client:  # a system sees personal data only when its token was given the right
            return self.is_active and self.sees_personal_data
        return self.is_active and (self.is_superuser or self.role == Role.ADMIN or self.sees_personal_data)

    def save(self, *args, **kwargs):
        self.fill_levels()
        super().save(*args, **kwargs)

    @property
    def scope_label(self):
        """The user's scope as read: the township, the county, the city, or 全县 for no level set."""
        for level in ("township", "county", "city"):
            if getattr(self, f"{level}_id"):
                return str(getattr(self, level))
        return str(_("Whole county"))


class ObjectChange(models.Model):
    """One create, update or delete of a record: who, when, from where, values before and after."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="changes",
    )
    user_name = models.CharField(_("user name"), max_length=150, blank=True)
    source = models.CharField(_("source"), max_length=100, blank=True, help_text=_("web, api, command:…, task:…"))
    action = models.CharField(_("action"), max_length=10, choices=ChangeAction.choices)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(_("record id"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    township = models.ForeignKey(
        "villages.Township",
        verbose_name=_("township"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    county = models.ForeignKey(
        "villages.County",
        verbose_name=_("county"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    prechange_data = models.JSONField(_("before"), null=True, blank=True)
    postchange_data = models.JSONField(_("after"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()

    scope_path = "township"
    county_path = "county"
    scope_editable = False

    class Meta:
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")
        ordering = ["-time", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="objectchange_object_idx")]

    def __str__(self):
        return f"{self.get_action_display()} {self.object_repr}"

    @property
    def diff(self):
        """{field: (before, after)} for the fields that changed."""
        before, after = self.prechange_data or {}, self.postchange_data or {}
        keys = sorted(set(before) | set(after))
        return {k: (before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)}


class PersonalDataAccess(models.Model):
    """A record that someone saw personal data unmasked (a detail page, a list page, an export, the API)."""

    time = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+")
    content_type = models.ForeignKey(
        "contenttypes.ContentType", verbose_name=_("record type"), on_delete=models.PROTECT, related_name="+"
    )
    object_ids = models.JSONField(_("records"), default=list)
    fields = models.JSONField(_("fields"), default=list)
    context = models.CharField(_("where"), max_length=100)

    objects = RestrictedQuerySet.as_manager()

    scope_path = None
    county_path = "user__county"  # what the users of a county saw
    city_path = "user__city"
    scope_editable = False
    admin_only = True
    admin_view_only = True  # who looked at whose data: county administrators and superusers only

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-time", "-pk"]

    def __str__(self):
        return f"{self.user} {self.context} {self.time:%Y-%m-%d %H:%M}"
