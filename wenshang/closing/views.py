"""The quarter close's pages: the review board (the county's townships, a township's quarters), a
submission (checklist, figures against last quarter, submit / approve / return, its steps), the
correction requests and the to-do list."""
from decimal import Decimal

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from wenshang.closing import checklist, services, todos
from wenshang.closing.models import Close, Correction, Submission, period_of
from wenshang.closing.selectors import counties, township_for
from wenshang.kernel import formats
from wenshang.kernel.periods import previous_quarter, quarter_dates
from wenshang.kernel.scope import county_id_of, township_id_of
from wenshang.web import figures, portal


def _quarter(request):
    value = request.GET.get("period", "")
    try:
        year, quarter = (int(x) for x in value.split("Q"))
        if 2000 <= year <= 2100 and 1 <= quarter <= 4:
            return year, quarter
    except ValueError:
        pass
    return services.latest_ended()


def _periods(year, quarter, n=8):
    out = []
    for _i in range(n):
        out.append((year, quarter))
        year, quarter = previous_quarter(year, quarter)
    return out


@login_required
def board(request):
    """The county's review board: each township's state of a quarter; a township's staff see theirs."""
    year, quarter = _quarter(request)
    user = request.user
    if user.township_id:
        return redirect("closing:submission", user.township_id, year, quarter)
    found = counties(user)
    if not found:
        raise PermissionDenied
    chosen = [c for c in found if str(c.pk) == request.GET.get("county", "")]
    if not chosen and len(found) > 1:
        return city_board(request, found, year, quarter)
    county = (chosen or found)[0]
    townships = list(county.townships.order_by("code"))
    subs = {s.township_id: s for s in Submission.objects.filter(county=county, period=period_of(year, quarter))}
    rows = []
    for t in townships:
        sub = subs.get(t.pk)
        state = sub.state if sub else Submission.State.OPEN
        rows.append({"township": t, "sub": sub, "state": state, "label": Submission.State(state).label,
                     "overdue": services.overdue(sub or Submission(year=year, quarter=quarter, state=state)),
                     "open_items": sum(1 for i in (sub.checklist if sub else []) if i.get("open"))})
    counts = {value: sum(1 for r in rows if r["state"] == value) for value in Submission.State.values}
    close = Close.objects.filter(county=county, period=period_of(year, quarter)).first()
    return render(request, "closing/board.html", {
        "county": county, "year": year, "quarter": quarter, "rows": rows, "counts": counts, "close": close,
        "overdue": sum(1 for r in rows if r["overdue"]), "deadline": services.deadline(year, quarter),
        "periods": _periods(*services.latest_ended()), "may_review": services.may_review(user, county.pk),
        "snapshots": close.snapshots.all() if close else [],
        "breadcrumbs": [(county.name, reverse("closing:board") + f"?county={county.pk}&period={year}Q{quarter}")],
    })


def city_board(request, found, year, quarter):
    """A city's users: each county's townships by state of the quarter, and whether it is closed."""
    period = period_of(year, quarter)
    by_state = {}
    for county_id, state, n in (Submission.objects.filter(county__in=found, period=period)
                                .values_list("county", "state").annotate(n=Count("pk")).order_by()):
        by_state.setdefault(county_id, {})[state] = n
    sizes = dict(apps.get_model("villages.Township").objects.filter(county__in=found).values_list("county")
                 .annotate(n=Count("pk")).order_by())
    closed = set(Close.objects.filter(county__in=found, period=period).values_list("county", flat=True))
    rows = []
    for c in found:
        states = by_state.get(c.pk, {})
        done = sum(states.values())
        rows.append({"county": c, "townships": sizes.get(c.pk, 0), "open": sizes.get(c.pk, 0) - done + states.get("open", 0),
                     "submitted": states.get("submitted", 0), "returned": states.get("returned", 0),
                     "approved": states.get("approved", 0), "closed": c.pk in closed})
    return render(request, "closing/board_city.html", {
        "rows": rows, "year": year, "quarter": quarter, "periods": _periods(*services.latest_ended()),
        "deadline": services.deadline(year, quarter), "overdue": services.overdue(Submission(year=year, quarter=quarter)),
        "breadcrumbs": [(_("Quarter close"), reverse("closing:board"))],
    })


def _township(user, pk):
    return township_for(user, pk)


@login_required
def submission(request, township, year, quarter):
    t = _township(request.user, township)
    if not (2000 <= year <= 2100 and 1 <= quarter <= 4) or not services.ended(year, quarter):
        raise Http404
    sub = services.submission(t, year, quarter)
    items = checklist.items(t, year, quarter)
    errors: dict = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "submit":
                reasons = {i.key: request.POST.get(f"reason_{i.key}", "") for i in items}
                services.submit(user=request.user, township=t, year=year, quarter=quarter,
                                note=request.POST.get("note", ""), reasons=reasons)
                messages.success(request, _("%(period)s of %(township)s was submitted to the county.") % {
                    "period": sub.period_label, "township": t.name})
            elif action in ("approve", "return"):
                do = services.approve if action == "approve" else services.return_
                done = do(user=request.user, submission=sub, comment=request.POST.get("comment", ""))
                messages.success(request, _("%(period)s of %(township)s: %(state)s.") % {
                    "period": sub.period_label, "township": t.name, "state": done.get_state_display()})
            else:
                raise Http404
            return redirect("closing:submission", t.pk, year, quarter)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"all": exc.messages}
    start, end = quarter_dates(year, quarter)
    before = quarter_dates(*previous_quarter(year, quarter))[1]
    now_values = figures.drill_values_as_of(end, township=t.pk)
    then_values = figures.drill_values_as_of(before, township=t.pk)
    compared = []
    for key, value in now_values.items():
        if value is None:
            continue
        info, then = figures.catalogue()[key], then_values.get(key)
        delta = Decimal(str(value)) - Decimal(str(then)) if then is not None else None
        compared.append({"label": info.label, "now": formats.figure(value, info.unit), "then": formats.figure(then, info.unit),
                         "change": ("+" if delta > 0 else "") + formats.figure(delta, info.unit) if delta else ""})
    return render(request, "closing/submission.html", {
        "township": t, "sub": sub, "items": items, "errors": errors, "post": request.POST,
        "compared": compared, "deadline": services.deadline(year, quarter), "overdue": services.overdue(sub),
        "may_submit": services.may_submit(request.user, t) and sub.state in (Submission.State.OPEN, Submission.State.RETURNED),
        "may_review": services.may_review(request.user, t.county_id) and sub.state == Submission.State.SUBMITTED,
        "events": sub.events.all() if sub.pk else [], "period_label": sub.period_label,
        "breadcrumbs": [(t.county.name, reverse("closing:board") + f"?period={year}Q{quarter}"), (t.name, request.path)],
    })


# -- corrections ------------------------------------------------------------------------------------
def _raw(value):
    if value is None:
        return []
    if isinstance(value, bool):
        return ["on"] if value else []
    if hasattr(value, "pk"):
        return [str(value.pk)]
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__") and not isinstance(value, str):
        return [str(getattr(v, "pk", v)) for v in value]
    if hasattr(value, "isoformat"):
        return [value.isoformat()]
    return [str(value)]


def form_values(form):
    """{field: [values]} of a valid form's cleaned data, as a form posts them: the values asked for
    (a masked number sent back unchanged is already the record's own), to be posted again when the
    request is approved."""
    return {name: _raw(form.cleaned_data.get(name)) for name in form.fields if name in form.cleaned_data}


def request_from_form(request, config, form, obj, exc):
    """A write the lock refused, posted with a reason: the correction request (the form's values)."""
    data = form_values(form) if form is not None else {}
    record = form.instance if form is not None else obj
    if form is None:
        action, changes = Correction.Action.DELETE, {}
    else:
        action = Correction.Action.UPDATE if obj is not None and obj.pk else Correction.Action.CREATE
        changes = {name: [str(form.initial.get(name, "") or ""), str(form.cleaned_data.get(name, "") or "")]
                   for name in form.changed_data}
    try:
        correction = services.request_correction(
            user=request.user, record=obj if obj is not None and obj.pk else record, action=action, data=data,
            changes=changes, reason=request.POST.get("correction_reason", ""), period=exc.period,
            township=_place(township_id_of(record), "villages.Township"), county=_place(county_id_of(record), "villages.County"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(request.path)
    messages.success(request, _("Correction request %(pk)s was sent to the county.") % {"pk": correction.pk})
    return redirect("closing:correction", correction.pk)


def _place(pk, label):
    return apps.get_model(label)._base_manager.filter(pk=pk).first() if pk else None


portal.use_corrections(request_from_form)


def config_for(model):
    for cfg in portal.REGISTRY.values():
        if cfg.model is model:
            return cfg
    raise LookupError(model)


def apply(correction, user):
    """Make the change a correction asks for, through the record's own form and service."""
    model = correction.content_type.model_class()
    cfg = config_for(model)
    obj = model()
    if correction.action != Correction.Action.CREATE:
        obj = model._base_manager.filter(pk=correction.object_id).first()
        if obj is None:
            raise ValidationError(_("The record of this request no longer exists."))
    if correction.action == Correction.Action.DELETE:
        cfg.delete_object(obj, user)
        return
    data = QueryDict(mutable=True)
    for key, values in correction.data.items():
        data.setlist(key, values if isinstance(values, list) else [values])
    form = cfg.get_form_class()(data, instance=obj, user=user)
    if not form.is_valid():
        raise ValidationError(_("The values asked for are no longer valid: %(errors)s") % {
            "errors": "; ".join(f"{form.fields[k].label if k in form.fields else ''} {' '.join(v)}".strip() for k, v in form.errors.items())})
    cfg.save_object(form.save(commit=False), form, user)
    form.save_m2m()


@login_required
def corrections(request):
    qs = Correction.objects.restrict(request.user, "view").select_related("township", "requested_by", "content_type")
    state = request.GET.get("state", "")
    if state in Correction.State.values:
        qs = qs.filter(state=state)
    return render(request, "closing/corrections.html", {
        "rows": qs[:200], "state": state, "states": Correction.State.choices,
        "breadcrumbs": [(_("Quarter close"), reverse("closing:board"))],
    })


@login_required
def correction(request, pk):
    c = get_object_or_404(Correction.objects.restrict(request.user, "view").select_related("township", "county", "content_type"), pk=pk)
    may_decide = services.may_review(request.user, c.county_id) and c.state == Correction.State.PENDING
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        approve = request.POST.get("action") == "approve"
        try:
            services.decide_correction(user=request.user, correction=c, approve=approve,
                                       note=request.POST.get("note", ""), apply=lambda: apply(c, request.user))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The correction was approved and made.") if approve else _("The correction was rejected."))
        return redirect("closing:correction", c.pk)
    if c.requested_by_id == request.user.pk and c.state != Correction.State.PENDING and c.seen_at is None:
        todos.seen(c)
    return render(request, "closing/correction.html", {
        "c": c, "may_decide": may_decide, "record_url": _record_url(c),
        "breadcrumbs": [(_("Quarter close"), reverse("closing:board")), (_("Correction requests"), reverse("closing:corrections"))],
    })


def _record_url(c):
    if not c.object_id or c.action == Correction.Action.DELETE and c.state == Correction.State.APPROVED:
        return ""
    obj = c.content_type.model_class()._base_manager.filter(pk=c.object_id).first()
    return portal.detail_url(obj) if obj is not None else ""


@login_required
def todo_list(request):
    return render(request, "closing/todos.html", {"items": todos.for_user(request.user),
                                                   "breadcrumbs": [(_("Quarter close"), reverse("closing:board"))]})



@login_required
def todo_count(request):
    return JsonResponse({"count": todos.count(request.user)})
