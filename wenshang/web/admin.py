"""The admin, with the portal's scope rules (``wenshang.kernel.scope``) instead of Django's permission tables.

Users have a role and a scope, not Django permissions. ``ScopedModelAdmin`` (and ``ScopedInlineMixin``
for inlines) therefore decides every view, add, change and delete with ``permission_filter`` and
``can``, shows only the rows the user may read, offers in foreign-key and many-to-many fields only
the records the user may read, and refuses to save a record that would end up outside the user's
change scope (the whole request is rolled back).

Personal data (``wenshang.kernel.privacy``): national ID and mobile numbers are masked for users without
the right in list columns, change forms (inputs and read-only fields, inlines included) and the
change log, and every view of them in full is recorded in ``PersonalDataAccess``
(``admin:list:<model>``, ``admin:change:<model>``), as on the portal.
"""
import copy
from functools import cache

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import NotRelationField, flatten_fieldsets, get_fields_from_path
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import router, transaction
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from wenshang.kernel import privacy
from wenshang.kernel.choices import Role
from wenshang.kernel.locks import PeriodLocked
from wenshang.kernel.models import ObjectChange, PersonalDataAccess, User
from wenshang.kernel.scope import can, permission_filter, scope_of
from wenshang.web.forms import MaskedPersonalDataMixin, fix_county
from wenshang.web.models import MetricAggregate, SearchEntry

admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME


def restrict(queryset, user, action="view"):
    """``queryset.restrict(user, action)`` for scoped models; other querysets are left as they are."""
    if hasattr(queryset, "restrict"):
        return queryset.restrict(user, action)
    return queryset


# -- personal data ----------------------------------------------------------------------------------


def personal_field(model, path):
    """The model field ``path`` (``phone``, ``person__id_number``) ends on, when it is a personal field."""
    try:
        field = get_fields_from_path(model, path)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return None
    if field.is_relation or field.attname not in privacy.personal_fields(field.model):
        return None
    return field


@cache
def personal_column(model, field_path, full=False):
    """A list column of a personal field: masked (370830********1234), or in full for ``full``.
    ``ScopedModelAdmin.get_list_display`` picks the one for the user and records views in full."""
    field = personal_field(model, field_path)
    mask = privacy.personal_fields(field.model)[field.attname]

    @admin.display(description=field.verbose_name, ordering=field_path)
    def column(obj):
        value = obj
        for part in field_path.split("__"):
            value = getattr(value, part, None) if value is not None else None
        if not value:
            return "-"
        return value if full else mask(value)

    column.__name__ = f"{field_path}_{'full' if full else 'masked'}"
    column.personal_path = field_path
    return column


def masked_id(field_path, model):
    """A list column of an ID number, masked unless the user may see personal data."""
    return personal_column(model, field_path)


def masked_phone(field_path, model):
    """A list column of a mobile number, masked unless the user may see personal data."""
    return personal_column(model, field_path)


def masked_copy(obj):
    """A copy of ``obj`` with its personal fields masked, for display only (never saved)."""
    shown = copy.copy(obj)
    for attname, mask in privacy.personal_fields(type(obj)).items():
        setattr(shown, attname, mask(getattr(obj, attname)))
    return shown


def masked_change(entry):
    """A copy of a change log entry with the personal values of its record's model masked."""
    model = entry.content_type.model_class()
    personal = privacy.personal_fields(model) if model is not None else {}
    shown = copy.copy(entry)
    for attname in ("prechange_data", "postchange_data"):
        data = getattr(entry, attname)
        if isinstance(data, dict):
            data = {key: personal[key](value) if key in personal and isinstance(value, str) else value for key, value in data.items()}
        setattr(shown, attname, data)
    return shown


class ScopedModelForm(MaskedPersonalDataMixin, forms.ModelForm):
    """A record's current links stay selectable even when they lie outside the user's view scope,
    and its ID and mobile numbers are masked for a user without the right (kept when posted back
    unchanged, see ``MaskedPersonalDataMixin``).

    Foreign-key and many-to-many choices are limited to what the user may read (see
    ``ScopedFormfieldsMixin``). Without this, editing a project of one's own township that also
    serves a village of another township would silently drop that village on save, and a link
    to a record out of reach would make the form impossible to save unchanged.
    """

    request_user = None  # set by the admin on the form class it makes for each request

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mask_personal_data(self.request_user)  # views in full are recorded by the admin's views
        fix_county(self, self.request_user)  # a county-level record's county: the user's own, or a choice
        if self.instance.pk is None:
            return
        for name, formfield in self.fields.items():
            if not getattr(formfield, "scope_restricted", False):
                continue
            try:
                model_field = self.instance._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            to_field = getattr(formfield, "to_field_name", None) or "pk"
            if model_field.many_to_many:
                current = set(getattr(self.instance, name).values_list(to_field, flat=True))
            else:
                value = getattr(self.instance, model_field.attname, None)
                current = set() if value is None else {value}
            if not current:
                continue
            queryset = formfield.queryset
            visible = set(queryset.filter(**{f"{to_field}__in": current}).values_list(to_field, flat=True))
            missing = current - visible
            if missing:
                extra = queryset.model._base_manager.filter(**{f"{to_field}__in": missing})
                formfield.queryset = queryset | extra


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter offering only the related records the user may read."""

    def field_choices(self, field, request, model_admin):
        related = field.remote_field.model
        queryset = restrict(related._default_manager.complex_filter(field.get_limit_choices_to()), request.user, "view")
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        attname = field.remote_field.get_related_field().attname
        return [(getattr(obj, attname), str(obj)) for obj in queryset]


class ScopedFormfieldsMixin:
    """Rows, foreign-key and many-to-many choices limited to the user's view scope."""

    form = ScopedModelForm

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, "view")

    def _scoped_field_queryset(self, db_field, request, db):
        """The choices of ``db_field`` the user may read, and whether the scope removed any."""
        related = db_field.remote_field.model
        queryset = self.get_field_queryset(db, db_field, request)
        if queryset is None:
            queryset = related._default_manager.using(db).all()
        if not hasattr(queryset, "restrict"):
            return queryset, False
        allowed = permission_filter(request.user, related, "view")
        return queryset.restrict(request.user, "view"), allowed is not True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        restricted = False
        if "queryset" not in kwargs:
            kwargs["queryset"], restricted = self._scoped_field_queryset(db_field, request, kwargs.get("using"))
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and restricted:
            formfield.scope_restricted = True
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        restricted = False
        if "queryset" not in kwargs and db_field.remote_field.through._meta.auto_created:
            kwargs["queryset"], restricted = self._scoped_field_queryset(db_field, request, kwargs.get("using"))
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and restricted:
            formfield.scope_restricted = True
        return formfield


class ScopedModelAdmin(ScopedFormfieldsMixin, admin.ModelAdmin):
    """The base of every model's admin: the portal's roles and scopes decide everything."""

    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) of the whole table on every page

    # -- permissions -------------------------------------------------------------------------

    def _may(self, request, action, obj=None):
        if obj is None:
            return permission_filter(request.user, self.model, action) is not False
        return can(request.user, action, obj)

    def has_module_permission(self, request):
        return self._may(request, "view")

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view", obj)

    def has_add_permission(self, request):
        return self._may(request, "add")

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", obj)

    # -- list filters ------------------------------------------------------------------------

    def get_list_filter(self, request):
        """Related-field filters offer only the records the user may read (``village__township`` …)."""
        result = []
        for item in super().get_list_filter(request):
            if isinstance(item, str):
                try:
                    field = get_fields_from_path(self.model, item)[-1]
                except (FieldDoesNotExist, NotRelationField):
                    field = None
                if field is not None and field.is_relation and field.concrete and not field.many_to_many:
                    item = (item, ScopedRelatedFieldListFilter)
            result.append(item)
        return result

    # -- personal data -----------------------------------------------------------------------

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.request_user = request.user  # a class made for this request (modelform_factory)
        return form

    def get_changelist_form(self, request, **kwargs):
        kwargs.setdefault("form", ScopedModelForm)
        form = super().get_changelist_form(request, **kwargs)
        form.request_user = request.user
        return form

    def get_list_display(self, request):
        """Columns of personal fields masked, or in full for a user who may see them."""
        full = privacy.may_see(request.user)
        columns = []
        for item in super().get_list_display(request):
            path = getattr(item, "personal_path", None)
            if path is None and isinstance(item, str) and item not in self.list_editable and personal_field(self.model, item):
                path = item
            columns.append(personal_column(self.model, path, full) if path else item)
        return columns

    def get_search_fields(self, request):
        """Without the right, a personal field is searched for the whole number only: partial
        matches would reveal a masked number digit by digit."""
        fields = super().get_search_fields(request)
        if privacy.may_see(request.user):
            return fields
        result = []
        for item in fields:
            path = item.lstrip("^=@")
            if personal_field(self.model, path) is None and "__" in path:
                path = path.rsplit("__", 1)[0]  # an explicit lookup: phone__icontains
            result.append(f"={path}" if personal_field(self.model, path) else item)
        return result

    def changelist_view(self, request, extra_context=None):
        try:  # the action "delete selected" of records of a locked quarter
            response = super().changelist_view(request, extra_context)
        except PeriodLocked as exc:
            return self._refused(request, exc)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and privacy.may_see(request.user):
            self.record_list_view(request, changelist)
        return response

    def record_list_view(self, request, changelist):
        """Record the personal list columns shown in full, per model whose fields they are."""
        shown = {}  # model → ({pk: record}, [attname])
        rows = list(changelist.result_list)
        for item in changelist.list_display:
            path = getattr(item, "personal_path", None)
            if path is None:
                continue
            field = personal_field(self.model, path)
            owners = rows
            for part in path.split("__")[:-1]:
                owners = [getattr(owner, part) for owner in owners if getattr(owner, part, None) is not None]
            records, names = shown.setdefault(field.model, ({}, []))
            records.update((owner.pk, owner) for owner in owners)
            names.append(field.attname)
        for model, (records, names) in shown.items():
            privacy.record_access(request.user, model, list(records), f"admin:list:{self.model._meta.model_name}", names)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        self.protect_personal_data(request, context)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def protect_personal_data(self, request, context):
        """The personal fields of a change form and its inlines. Inputs are masked by the form
        (``ScopedModelForm``); read-only fields show the record's own values (Django's admin
        reads ``form.instance``), so for a user without the right each form then shows a masked
        copy of its record (the form is only rendered from here on, never saved). For a user with
        the right, the records shown are recorded."""
        groups = []  # (model, forms, field names shown, read-only field names)
        adminform = context.get("adminform")
        if adminform is not None:
            groups.append((self.model, [adminform.form], flatten_fieldsets(adminform.fieldsets), list(adminform.readonly_fields)))
        for inline in context.get("inline_admin_formsets", ()):
            shown_names = flatten_fieldsets(inline.fieldsets)
            readonly = list(inline.readonly_fields) + ([] if inline.has_change_permission else shown_names)
            groups.append((inline.formset.model, inline.formset.forms, shown_names, readonly))
        where = f"admin:change:{self.model._meta.model_name}"
        for model, model_forms, shown_names, readonly in groups:
            personal = [name for name in privacy.personal_fields(model) if name in shown_names]
            if not personal:
                continue
            if privacy.may_see(request.user):
                records = [form.instance for form in model_forms if form.instance.pk is not None]
                privacy.record_access(request.user, model, records, where, personal)
            elif any(name in readonly for name in personal):
                for form in model_forms:
                    form.instance = masked_copy(form.instance)

    # -- writes ------------------------------------------------------------------------------
    # A record of a locked quarter (``wenshang.kernel.locks``): the write is rolled back and the
    # page says which quarter is locked (the portal's form offers a correction request).
    def _refused(self, request, exc):
        self.message_user(request, " ".join(exc.messages), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except PeriodLocked as exc:
            return self._refused(request, exc)

    def delete_view(self, request, *args, **kwargs):
        try:
            return super().delete_view(request, *args, **kwargs)
        except PeriodLocked as exc:
            return self._refused(request, exc)


    def _atomic(self):
        return transaction.atomic(using=router.db_for_write(self.model))

    def save_model(self, request, obj, form, change):
        """Save, then refuse (and roll back) if the record is not in the user's scope before or after."""
        with self._atomic():
            if change and not can(request.user, "change", type(obj)._base_manager.get(pk=obj.pk)):
                raise PermissionDenied
            super().save_model(request, obj, form, change)
            if not can(request.user, "change" if change else "add", obj):
                raise PermissionDenied

    def delete_model(self, request, obj):
        with self._atomic():
            if not can(request.user, "delete", obj):
                raise PermissionDenied
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with self._atomic():
            if hasattr(queryset, "restrict"):
                pks = set(queryset.values_list("pk", flat=True))
                allowed = set(queryset.restrict(request.user, "delete").values_list("pk", flat=True))
                if pks - allowed:
                    raise PermissionDenied
            super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        """Inline rows obey the same rules: each row deleted, changed or added must be in scope."""
        user = request.user
        with self._atomic():
            deleted = list(formset.deleted_forms)
            for inline_form in deleted:
                if inline_form.instance.pk is not None and not can(user, "delete", inline_form.instance):
                    raise PermissionDenied
            for inline_form in formset.initial_forms:
                instance = inline_form.instance
                if inline_form in deleted or instance.pk is None or not inline_form.has_changed():
                    continue
                if not can(user, "change", instance):  # the stored row, looked up by pk
                    raise PermissionDenied
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                if not can(user, "add", obj):
                    raise PermissionDenied
            for obj, _changed in formset.changed_objects:
                if not can(user, "change", obj):
                    raise PermissionDenied


class ScopedInlineMixin(ScopedFormfieldsMixin):
    """For inlines: the rows the user may read, and the same role and scope rules.

    Django passes the *parent* object to an inline's permission methods; a row may be added,
    changed or deleted when the user may do so on the inline's model and may change the parent.
    The rows themselves are checked again on save (``ScopedModelAdmin.save_formset``).
    """

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.request_user = request.user  # a class made for this request (modelform_factory)
        return formset

    def _may(self, request, action, parent=None):
        if permission_filter(request.user, self.model, action) is False:
            return False
        if parent is None:
            return True
        return can(request.user, "view" if action == "view" else "change", parent)

    def has_view_permission(self, request, obj=None):
        return self._may(request, "view", obj)

    def has_add_permission(self, request, obj):
        return self._may(request, "add", obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, "change", obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, "delete", obj)


class ScopedTabularInline(ScopedInlineMixin, admin.TabularInline):
    extra = 0


class ReadOnlyTabularInline(ScopedTabularInline):
    """Rows shown for reference only (e.g. a ledger): maintained in their own admin."""

    show_change_link = True
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request, obj):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# -- the portal's users ---------------------------------------------------------------------------


def manages_users(user):
    """Only superusers and county administrators manage accounts (their scope limits which)."""
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN))


class PortalUserChangeForm(ScopedModelForm, UserChangeForm):
    pass


@admin.register(User)
class UserAdmin(ScopedModelAdmin, DjangoUserAdmin):
    form = PortalUserChangeForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Role and scope"), {"fields": ("role", "city", "county", "township", "domain")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("Role and scope"), {"fields": ("role", "city", "county", "township", "domain", "is_staff")}),
    )
    list_display = ("username", "last_name", "first_name", "role", "county", "township", "domain", "is_staff", "is_active",
                    "last_login")
    list_filter = ("role", "county", "township", "domain", "is_staff", "is_superuser", "is_active")
    list_select_related = ("county", "township")
    search_fields = ("username", "first_name", "last_name", "email")

    # The scope rules let township staff change the users of their township (User.scope_path is
    # "township"); accounts are the administrators' business, so writes need ``manages_users`` too.
    # Nobody but a superuser touches a superuser's account.

    def has_add_permission(self, request):
        return manages_users(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        if not manages_users(request.user):
            return False
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not manages_users(request.user):
            return False
        if obj is not None and (obj.is_superuser and not request.user.is_superuser or obj.pk == request.user.pk):
            return False
        return super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request):
        """A new account of a county's (or a city's) administrator starts in their county (city)."""
        initial = super().get_changeform_initial_data(request)
        scope = scope_of(request.user)
        initial.setdefault("county", scope.county_id)
        initial.setdefault("city", scope.city_id)
        return initial

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Otherwise a county administrator could make anyone (themselves included) a superuser.
            readonly += ["is_superuser", "groups", "user_permissions"]
        return readonly


# -- records the portal writes itself: the change log, personal-data access, the search index … -----
class ReadOnlyAdmin(ScopedModelAdmin):
    """Records written by the portal itself: read them, never edit them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ObjectChange)
class ObjectChangeAdmin(ReadOnlyAdmin):
    """The change log is written by ``wenshang.kernel.audit`` only: read it, never edit it."""

    list_display = ("time", "user_name", "source", "action", "content_type", "object_repr", "township", "county")
    list_filter = ("action", "content_type", "source")
    list_select_related = ("content_type", "township", "county")
    search_fields = ("object_repr", "user_name")
    date_hierarchy = "time"
    fields = (
        "time",
        "user",
        "user_name",
        "source",
        "action",
        "content_type",
        "object_id",
        "object_repr",
        "township",
        "changes",
        "prechange_data",
        "postchange_data",
    )
    readonly_fields = fields

    @admin.display(description=_("changes"))
    def changes(self, obj):
        return "; ".join(f"{key}: {before!r} → {after!r}" for key, (before, after) in obj.diff.items()) or "-"

    def protect_personal_data(self, request, context):
        """The values before and after of the record's personal fields: masked for a user without
        the right (the page shows a masked copy of the entry), recorded for a user with it."""
        adminform = context.get("adminform")
        entry = adminform.form.instance if adminform is not None else None
        model = entry.content_type.model_class() if entry is not None and entry.pk is not None else None
        if model is None:
            return
        data = [entry.prechange_data or {}, entry.postchange_data or {}]
        personal = [name for name in privacy.personal_fields(model) if any(isinstance(d, dict) and d.get(name) for d in data)]
        if not personal:
            return
        if privacy.may_see(request.user):
            object_id = model._meta.pk.to_python(entry.object_id)
            privacy.record_access(request.user, model, [object_id], "admin:change:objectchange", personal)
        else:
            adminform.form.instance = masked_change(entry)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    """Who saw personal data unmasked, where and when: read it, never edit it."""

    list_display = ("time", "user", "context", "content_type")
    list_filter = ("context", "content_type")
    list_select_related = ("user", "content_type")
    search_fields = ("user__username", "context")
    date_hierarchy = "time"
    readonly_fields = ("time", "user", "content_type", "object_ids", "fields", "context")
    fields = readonly_fields


@admin.register(SearchEntry)
class SearchEntryAdmin(ReadOnlyAdmin):
    list_display = ("name", "kind", "code", "initials", "township")
    list_filter = ("kind",)
    list_select_related = ("township",)
    search_fields = ("name", "code", "initials")


@admin.register(MetricAggregate)
class MetricAggregateAdmin(ReadOnlyAdmin):
    """The figures' aggregates (``wenshang.web.aggregates``): kept by the portal on every write."""

    list_display = ("metric", "level", "county", "township", "village", "year", "quarter", "value", "den")
    list_filter = ("level",)
    list_select_related = ("county", "township", "village")
    search_fields = ("metric", "village__name", "village__code", "township__name", "township__code")
