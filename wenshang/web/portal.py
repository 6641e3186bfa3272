"""Generic views of the portal: every entity's list, detail, create, edit and delete pages are a
few class attributes on a ``ModelViews`` subclass (as NetBox's ``ObjectListView`` /
``ObjectEditView`` are), so each app's ``views.py`` stays declarative.

    class VillageViews(ModelViews):
        model = Village
        plural = "villages"            # the URL segment, the import entity, the API path
        chain = "organization"         # the navigation group
        filterset_class = VillageFilterSet
        form_class = VillageForm
        columns = ["code", "name", "township", "tier", "households"]

    urlpatterns = VillageViews.urls()

Scope comes from ``Model.objects.restrict(user, action)``: a record the user may not read is a
404, a change the user may not make is a 403, and writes go through ``save_scoped`` so nobody can
move a record out of their reach. Personal data is masked unless the user has the right, and
every unmasked view is recorded (``wenshang.kernel.privacy``).
"""
import datetime as dt
from decimal import Decimal
from functools import lru_cache

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import ProtectedError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views import View

from wenshang.kernel import formats, privacy
from wenshang.kernel.audit import actor_label
from wenshang.kernel.locks import PeriodLocked
from wenshang.kernel.models import ObjectChange
from wenshang.kernel.scope import can, county_id_of, scope_of
from wenshang.kernel.services import delete_scoped, save_scoped
from wenshang.web import figures
from wenshang.web.forms import PortalModelForm, bootstrap_errors
from wenshang.web.paging import KeysetPaginator, Total

REGISTRY = {}  # plural → ModelViews subclass

CHAINS = [
    ("organization", "组织链"),
    ("industry", "产业链"),
    ("talent", "人才链"),
    ("survey", "大调研"),
]


class ModelViews:
    model = None
    plural = None
    chain = None
    filterset_class = None
    form_class = None
    form_fields = "__all__"
    columns = ()
    select_related = ()
    detail_exclude = ("created_at", "updated_at")
    related = ()  # reverse accessors shown on the detail page, e.g. ("grids", "tier_changes")
    # Reverse accessors whose records' changes are part of this record's change history (a
    # village's tier changes: they are how its tier changes).
    history_related = ()
    paginate_by = 50
    # A big table (parcels, households, credit records …): its list pages by keyset, with links to the
    # next and previous page and an estimate of its size, never an OFFSET or a COUNT(*) over the
    # whole table (``wenshang.web.paging``); a small one keeps numbered pages and its exact count.
    big = False
    # The order of a big list when no column is sorted on (default: the model's ``Meta.ordering``): the
    # same order said so that the database can walk it within a user's scope (the parcels by village
    # code, then parcel code: a township's villages one after the other, not the county's parcel
    # index read until the township's parcels come up).
    list_ordering = None
    in_menu = True
    list_template = "portal/list.html"
    detail_template = "portal/detail.html"
    form_template = "portal/form.html"

    @classmethod
    def save_object(cls, instance, form, user):
        """Write a created or edited record. Override to go through the app's service (the
        alliance fund ledger, credit points, tier changes …); the default validates and saves
        within the user's scope."""
        return save_scoped(instance, user=user)

    @classmethod
    def delete_object(cls, instance, user):
        """Delete a record (the API's DELETE). Override to go through the app's service."""
        delete_scoped(instance, user=user)

    # -- the REST API (wenshang.api) -----------------------------------------------------------
    api_read_only_fields = ()  # form fields the API never writes (set by a service)
    api_locked_on_update = ()  # fields fixed once the record exists (a village's tier …)
    api_updatable = True  # False: records are never changed, only added (a ledger)
    api_bulk = False  # True: POST …/bulk/ creates up to API_BULK_MAX records at once, all or nothing
    api_natural_key = ()  # fields that name a record in other systems: PUT …/bulk/ creates or changes by them (api_bulk)
    # A bulk request is checked and written in batches (wenshang.web.batch) when records are saved by the
    # default rule (save_object), or by a service whose effect this function (creates, updates: rows with
    # ``obj`` and ``changes``) does for a whole batch, in its transaction (credit records' household totals).
    api_batch_rule = None
    api_mixins = ()  # classes with DRF @action methods of the entity's own (a grid event's steps)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.model is not None:
            cls.plural = cls.plural or f"{cls.model._meta.model_name}s"
            REGISTRY[cls.plural] = cls

    # -- naming ------------------------------------------------------------------------------
    @classmethod
    def app(cls):
        return cls.model._meta.app_label

    @classmethod
    def url_name(cls, action):
        return f"{cls.app()}:{cls.model._meta.model_name}_{action}"

    @classmethod
    def list_url(cls):
        return reverse(cls.url_name("list"))

    view_overrides = {}  # action ("list", "add", "detail", "edit", "delete") → a view class of one's own

    @classmethod
    def urls(cls):
        name = cls.model._meta.model_name
        views = {"list": ListView, "add": EditView, "detail": DetailView, "edit": EditView, "delete": DeleteView}
        views.update(cls.view_overrides)
        routes = {"list": "", "add": "add/", "detail": "<int:pk>/", "edit": "<int:pk>/edit/", "delete": "<int:pk>/delete/"}
        return [
            path(f"{cls.plural}/{route}", views[action].as_view(config=cls), name=f"{name}_{action}")
            for action, route in routes.items()
        ]

    @classmethod
    def get_form_class(cls):
        if cls.form_class:
            return cls.form_class
        meta = type("Meta", (), {"model": cls.model, "fields": cls.form_fields})
        return type(f"{cls.model.__name__}Form", (PortalModelForm,), {"Meta": meta})

    @classmethod
    def queryset(cls, user, action="view"):
        qs = cls.model.objects.restrict(user, action)
        return qs.select_related(*cls.select_related) if cls.select_related else qs

    @classmethod
    def breadcrumbs(cls, obj=None, user=None):
        """City → county → township → village (→ the list of this kind of record), the levels that
        exist. The township and village are found along the record's ``scope_path`` (a grid event:
        grid → village → township), its county along its ``county_path``; the city is shown to the
        users who may open its page (a city's, the deployment's)."""
        crumbs = [(_("Wenshang County"), reverse("home"))]
        township, village = None, None
        if obj is not None and obj.pk is not None:
            label = obj._meta.label
            if label == "villages.Village":
                village, township = None, obj.township
            elif label != "villages.Township":
                current = obj
                for part in (cls.model.scope_path or "").split("__")[:-1]:
                    current = getattr(current, part, None)
                    if current is None:
                        break
                    if current._meta.label == "villages.Village":
                        village = current
                township = village.township if village is not None else getattr(current, "township", None)
            county_id = township.county_id if township is not None else county_id_of(obj)
            county = apps.get_model("villages", "County")._base_manager.select_related("city").filter(pk=county_id).first() \
                if county_id and label != "villages.County" else None
            if county is not None:
                scope = scope_of(user) if user is not None else None
                crumbs = []
                if county.city_id and scope is not None and scope.level in ("city", None):
                    crumbs.append((str(county.city), reverse("dashboard:city", args=[county.city_id])))
                home = scope is None or scope.level is None or scope.county_id == county.pk
                crumbs.append((str(county), reverse("home") if home else reverse("dashboard:county", args=[county.pk])))
        if township is not None:
            crumbs.append((str(township), reverse("villages:township_detail", args=[township.pk])))
        if village is not None:
            crumbs.append((str(village), reverse("villages:village_detail", args=[village.pk])))
        crumbs.append((cls.model._meta.verbose_name_plural, cls.list_url()))
        return crumbs


class PortalView(LoginRequiredMixin, View):
    config = None

    def context(self, **extra):
        cfg = self.config
        return {
            "config": cfg,
            "opts": cfg.model._meta,
            "can_add": can(self.request.user, "add", cfg.model),
            **extra,
        }


def column_headers(model, columns):
    headers = []
    for col in columns:
        if col == "__str__":  # the record's own name (several fields together)
            headers.append({"name": col, "label": model._meta.verbose_name, "sortable": False})
            continue
        field = _field(model, col)
        label = field.verbose_name if field is not None else col
        sortable = field is not None and not field.many_to_many
        headers.append({"name": col, "label": label, "sortable": sortable})
    return headers


def _field(model, path):
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except Exception:  # noqa: BLE001 - not a field path (a property)
            return None
        model = field.related_model if field.is_relation else model
    return field


def cell(user, obj, col):
    """The display value of one column of one row (choices as labels, personal data masked).
    ``"__str__"`` is the record's own name."""
    if col == "__str__":
        return str(obj)
    parts = col.split("__")
    target = obj
    for part in parts[:-1]:
        target = getattr(target, part, None)
        if target is None:
            return ""
    name = parts[-1]
    field = _field(type(target), name)
    if field is not None and field.choices:
        return getattr(target, f"get_{name}_display")()
    if field is not None and field.concrete and not field.is_relation:
        value = privacy.shown(user, target, field.attname)
    else:
        value = getattr(target, name, "")
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field is not None and isinstance(value, Decimal):
        return formats.field_value(field, value)  # money in 元/万元/亿元, areas with separators
    return value


def as_of_drill(request, model):
    """A dashboard figure's rows as they stood at a past date: ``?figure=<key>&as_of=<date>`` (the
    links of the dashboards' period comparisons) → (figure, date, condition on ``model``), or None
    when the page was not asked for one or the figure is not counted from ``model``'s rows."""
    key, day = request.GET.get("figure", ""), request.GET.get("as_of", "")
    conditions = figures.as_of_conditions() if key and day else {}
    drill = figures.drills().get(key)
    if key not in conditions or drill is None or drill.get_model() is not model:
        return None
    try:
        day = dt.date.fromisoformat(day)
    except ValueError:
        return None
    return figures.catalogue()[key], day, conditions[key](day)


def list_page(cfg, qs, sort, params, exact=False):
    """(page, total) of a list ordered by ``sort`` (a column, ``-`` for descending; "" for the model's
    ordering): a big table's page by keyset (``?cursor=``) with its estimated size (its exact count
    when ``exact``: a past figure's rows, whose count is that figure), another's numbered page
    (``?page=``) with its count."""
    if cfg.big:
        ordering = [sort] if sort else list(cfg.list_ordering or cfg.model._meta.ordering)
        try:
            paginator = KeysetPaginator(qs, cfg.paginate_by, ordering, signature=sort)
        except ValueError:  # an ordering by an expression: by primary key
            paginator = KeysetPaginator(qs, cfg.paginate_by, ["pk"], signature=sort)
        page = paginator.page(params.get("cursor"))
        if page.number == 1 and not page.has_next() and not page.has_previous():
            return page, Total(len(page.object_list))  # every row is on this page: no need to count them
        return page, Total(paginator.count) if exact else paginator.total()
    if sort:
        qs = qs.order_by(sort, "pk")
    page = Paginator(qs, cfg.paginate_by).get_page(params.get("page"))
    return page, Total(page.paginator.count)


_history = None  # wenshang.closing: a frozen figure's rows as they stood at its quarter's close


def use_history(handler):
    """``handler(request, model)`` → (figure label, snapshot, condition, context manager showing the
    rows as they stood) for ``?figure=…&frozen=…``, or None."""
    global _history
    _history = handler


class ListView(PortalView):

    def get(self, request):
        frozen = _history(request, self.config.model) if _history is not None else None
        if frozen is None:
            return self.page(request)
        with frozen[3]:  # the rows as they stood at the close: the page is made (rendered) inside
            return self.page(request, frozen)

    def page(self, request, frozen=None):
        cfg = self.config
        qs = cfg.queryset(request.user, "view")
        if frozen is not None:
            qs = qs.filter(frozen[2])
        as_of = as_of_drill(request, cfg.model)
        if as_of is not None:  # before the filters: "one row per borrower" counts among the rows of then
            qs = qs.filter(as_of[2])
        filterset = cfg.filterset_class(request.GET or None, queryset=qs, request=request) if cfg.filterset_class else None
        if filterset is not None:
            qs = filterset.qs if filterset.is_bound and filterset.is_valid() else qs
        sort = request.GET.get("sort", "")
        sortable = {c for c in cfg.columns if _field(cfg.model, c) is not None}
        if sort.lstrip("-") not in sortable:
            sort = ""
        page, total = list_page(cfg, qs, sort, request.GET, exact=as_of is not None or frozen is not None)
        rows = [(obj, [cell(request.user, obj, c) for c in cfg.columns]) for obj in page.object_list]
        personal = [c for c in cfg.columns if c in privacy.personal_fields(cfg.model)]
        if personal:
            privacy.record_access(request.user, cfg.model, [obj for obj, _ in rows], f"list:{cfg.plural}", personal)
        return render(
            request,
            cfg.list_template,
            self.context(
                filterset=filterset,
                page=page,
                rows=rows,
                headers=column_headers(cfg.model, cfg.columns),
                sort=sort,
                total=total,
                breadcrumbs=cfg.breadcrumbs(),
                as_of=as_of[:2] if as_of is not None else None,
                frozen=frozen[:2] if frozen is not None else None,
            ),
        )


class DetailView(PortalView):

    def get(self, request, pk):
        cfg = self.config
        obj = get_object_or_404(cfg.queryset(request.user, "view"), pk=pk)
        fields = []
        for field in cfg.model._meta.fields:
            if field.name in cfg.detail_exclude or field.auto_created:
                continue
            value = cell(request.user, obj, field.name)
            link = None
            if field.is_relation and getattr(obj, field.attname):
                related = getattr(obj, field.name)
                link = detail_url(related)
            fields.append((field.verbose_name, value, link))
        for field in cfg.model._meta.many_to_many:
            items = list(getattr(obj, field.name).all()[:50])
            fields.append((field.verbose_name, "、".join(str(i) for i in items), None))
        related = []
        for accessor in cfg.related:
            manager = getattr(obj, accessor)
            model = manager.model
            qs = manager.restrict(request.user, "view") if hasattr(manager, "restrict") else manager.all()
            rows = list(qs[:20])
            related.append({"label": model._meta.verbose_name_plural, "rows": [(r, detail_url(r)) for r in rows],
                            "more": qs.count() > 20 if len(rows) == 20 else False})
        history = ObjectChange.objects.filter(history_condition(obj, cfg.history_related)).select_related(
            "user", "user__api_token", "content_type"
        )[:50]
        personal = privacy.personal_fields(cfg.model)
        if personal:
            privacy.record_access(request.user, cfg.model, [obj], f"detail:{cfg.plural}")
        return render(
            request,
            cfg.detail_template,
            self.context(
                object=obj,
                fields=fields,
                related=related,
                history=history_rows(request.user, cfg.model, list(history)),
                can_change=can(request.user, "change", obj),
                can_delete=can(request.user, "delete", obj),
                breadcrumbs=cfg.breadcrumbs(obj, request.user),
            ),
        )


def history_condition(obj, related=()):
    """The change-log entries of a record, and of its records along the ``related`` accessors."""
    condition = models.Q(content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk))
    for accessor in related:
        manager = getattr(obj, accessor)
        ids = [str(pk) for pk in manager.values_list("pk", flat=True)]
        if ids:
            condition |= models.Q(content_type=ContentType.objects.get_for_model(manager.model), object_id__in=ids)
    return condition


def history_rows(user, model, entries):
    """[(entry, [(label, before, after)])] for the change history: choices as their labels,
    yes/no for booleans, related records by name (one query per related model, however many
    entries), personal data masked as for the user. Each entry gets ``actor`` (who made the change,
    as a person writes it: ``audit.actor_label``) and, when it is about another record than the
    page's (a village's tier change), ``about``: that record's kind and name."""
    def fields_of(entry):
        entry_model = entry.content_type.model_class() if entry.content_type_id else None
        return {f.attname: f for f in (entry_model or model)._meta.concrete_fields}

    personal = privacy.personal_fields(model)
    wanted = {}
    for entry in entries:
        fields = fields_of(entry)
        for attname, pair in entry.diff.items():
            field = fields.get(attname)
            if field is not None and field.is_relation:
                wanted.setdefault(field, set()).update(v for v in pair if v is not None)
    names = {
        field: {pk: str(obj) for pk, obj in field.related_model._base_manager.in_bulk(list(ids)).items()}
        for field, ids in wanted.items()
    }

    def shown(field, value):
        if value is None or value == "":
            return ""
        if field is None:
            return value
        if field.is_relation:
            return names.get(field, {}).get(value, value)
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(field, models.DateTimeField) and isinstance(value, str):
            moment = parse_datetime(value)
            return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else value
        mask = (personal if field.model is model else privacy.personal_fields(field.model)).get(field.attname)
        return mask(value) if mask and not privacy.may_see(user) else value

    out = []
    for entry in entries:
        entry.actor = actor_label(entry)
        entry_model = entry.content_type.model_class()
        entry.about = None if entry_model is None or entry_model is model else f"{entry_model._meta.verbose_name} {entry.object_repr}"
        fields = fields_of(entry)
        rows = []
        for attname, (before, after) in entry.diff.items():
            field = fields.get(attname)
            if field is not None and field.primary_key:
                continue
            label = field.verbose_name if field is not None else attname
            rows.append((label, shown(field, before), shown(field, after)))
        out.append((entry, rows))
    return out


_corrections = None  # wenshang.closing: a write refused by a locked quarter becomes a correction request


def use_corrections(handler):
    """``handler(request, config, form or None (a delete), obj, exc)`` → the response to a refused
    write posted with ``correction_reason`` (the correction request made)."""
    global _corrections
    _corrections = handler


def add_errors(form, exc):
    """Put a model's validation errors next to the form's fields (the rest above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def detail_url(obj):
    """The portal page of a record, if it has one."""
    for cfg in REGISTRY.values():
        if isinstance(obj, cfg.model):
            return reverse(cfg.url_name("detail"), args=[obj.pk])
    return None


class EditView(PortalView):

    def get_object(self, pk):
        cfg = self.config
        if pk is None:
            if not can(self.request.user, "add", cfg.model):
                raise PermissionDenied
            return cfg.model()
        obj = get_object_or_404(cfg.queryset(self.request.user, "view"), pk=pk)
        if not can(self.request.user, "change", obj):
            raise PermissionDenied
        return obj

    def render_form(self, form, obj):
        cfg = self.config
        return render(
            self.request,
            cfg.form_template,
            self.context(form=bootstrap_errors(form), object=obj, locked=getattr(self, "locked", None),
                         breadcrumbs=cfg.breadcrumbs(obj if obj.pk else None, self.request.user)),
        )

    def get(self, request, pk=None):
        obj = self.get_object(pk)
        initial = {k: v for k, v in request.GET.items() if k in self.config.get_form_class().base_fields}
        form = self.config.get_form_class()(instance=obj, user=request.user, initial=initial)
        return self.render_form(form, obj)

    def post(self, request, pk=None):
        obj = self.get_object(pk)
        token = request.POST.get("form_token", "")
        seen = request.session.get("form_tokens", {})
        if token and token in seen:  # the same form posted twice (a double click, a resent request)
            messages.info(request, _("This form was already submitted; it was saved once."))
            return redirect(seen[token])
        form = self.config.get_form_class()(request.POST, instance=obj, user=request.user)
        if not form.is_valid():
            return self.render_form(form, obj)
        instance = form.save(commit=False)
        try:
            instance = self.config.save_object(instance, form, request.user)
        except ValidationError as exc:
            if isinstance(exc, PeriodLocked) and _corrections is not None:
                if request.POST.get("correction_reason", "").strip():  # the refused change, as a correction request
                    return _corrections(request, self.config, form, obj, exc)
                self.locked = exc
            add_errors(form, exc)
            return self.render_form(form, obj)
        form.save_m2m()
        url = reverse(self.config.url_name("detail"), args=[instance.pk])
        if token:
            seen[token] = url
            request.session["form_tokens"] = dict(list(seen.items())[-50:])  # the last 50 forms are enough
        messages.success(request, _("%(name)s “%(obj)s” was saved.") % {"name": self.config.model._meta.verbose_name, "obj": instance})
        return redirect(url)


class DeleteView(PortalView):
    template_name = "portal/confirm_delete.html"

    def get_object(self, pk):
        obj = get_object_or_404(self.config.queryset(self.request.user, "view"), pk=pk)
        if not can(self.request.user, "delete", obj):
            raise PermissionDenied
        return obj

    def get(self, request, pk):
        obj = self.get_object(pk)
        return render(request, self.template_name, self.context(object=obj, breadcrumbs=self.config.breadcrumbs(obj, request.user)))

    def post(self, request, pk):
        obj = self.get_object(pk)
        try:
            self.config.delete_object(obj, request.user)  # the app's service where it has one (as the API)
        except ProtectedError as exc:
            names = sorted({o._meta.verbose_name for o in exc.protected_objects})
            messages.error(request, _("“%(obj)s” cannot be deleted: %(what)s still refer to it.") % {"obj": obj, "what": "、".join(map(str, names))})
            return redirect(reverse(self.config.url_name("detail"), args=[obj.pk]))
        except ValidationError as exc:  # a rule of the service (a fund entry that would overdraw the fund)
            if isinstance(exc, PeriodLocked) and _corrections is not None:
                if request.POST.get("correction_reason", "").strip():
                    return _corrections(request, self.config, None, obj, exc)
                return render(request, self.template_name, self.context(
                    object=obj, locked=exc, breadcrumbs=self.config.breadcrumbs(obj, request.user)))
            messages.error(request, " ".join(exc.messages))
            return redirect(reverse(self.config.url_name("detail"), args=[obj.pk]))
        messages.success(request, _("“%(obj)s” was deleted.") % {"obj": obj})
        return redirect(self.config.list_url())


# Pages that are not an entity's list, at the end of a chain's menu: chain → [(msgid, URL name)].
MENU_PAGES = {"survey": [(gettext_noop("Survey coverage board"), "reports:coverage"), (gettext_noop("Survey reports"), "reports:list"),
                         (gettext_noop("Quarter submissions and review"), "closing:board"),
                         (gettext_noop("Annual targets: progress and rankings"), "dashboard:targets")]}


@lru_cache(maxsize=16)
def _menu(language, prefix, registered):
    """The navigation: chain → [(label, url)] of every registered entity (and the chain's other pages).
    The same for every user, so it is made once per language (it reverses some 60 URLs: ~6 ms a page)."""
    out = []
    for key, label in CHAINS:
        entries = [(str(cfg.model._meta.verbose_name_plural), cfg.list_url()) for cfg in REGISTRY.values() if cfg.chain == key and cfg.in_menu]
        entries += [(_(msgid), reverse(name)) for msgid, name in MENU_PAGES.get(key, ())]
        out.append((label, entries))
    return out


def menu_html():
    """The chains' dropdowns of the navigation bar, as HTML made once per language: rendered by the
    template language on every page they cost ~2 ms (some 150 escaped values)."""
    return _menu_html(get_language(), get_script_prefix(), len(REGISTRY))


@lru_cache(maxsize=16)
def _menu_html(language, prefix, registered):
    parts = []
    for chain, entries in _menu(language, prefix, registered):
        items = format_html_join("", '<li><a class="dropdown-item" href="{1}">{0}</a></li>', entries)
        parts.append(format_html(
            '<li class="nav-item dropdown"><a class="nav-link dropdown-toggle" href="#" role="button" '
            'data-bs-toggle="dropdown" aria-expanded="false">{}</a><ul class="dropdown-menu">{}</ul></li>', chain, items))
    return mark_safe("".join(parts))  # noqa: S308 (every value was escaped by format_html)


def get_config(plural):
    try:
        return REGISTRY[plural]
    except KeyError:
        raise Http404 from None


__all__ = ["ModelViews", "REGISTRY", "menu_html", "models"]
