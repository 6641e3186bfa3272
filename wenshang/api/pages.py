"""The administrators' pages of the API: tokens (``/accounts/api-tokens/``: make a token for a named
client, shown once; see every token's scope, rights, expiry and last use; revoke one) and webhooks
(``/accounts/webhooks/``: register a subscriber, its secret shown once; its deliveries, sent again
on request; pause, resume, delete)."""
from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from villages.models import County, Township
from wenshang.accounts.views import UserManagementView
from wenshang.api import webhooks
from wenshang.api.models import ApiToken, Webhook, WebhookDelivery
from wenshang.api.tokens import DEFAULT_DAYS, create_token, revoke
from wenshang.kernel.scope import scope_of
from wenshang.web.forms import bootstrap_errors
from wenshang.web.portal import REGISTRY


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("client"), max_length=100,
                           help_text=gettext_lazy("The system that will use the token, e.g. 省乡村振兴平台."))
    county = forms.ModelChoiceField(label=gettext_lazy("county"), queryset=County.objects.order_by("code"), required=False,
                                    empty_label=gettext_lazy("Every county"))
    township = forms.ModelChoiceField(label=gettext_lazy("token scope"), queryset=Township.objects.order_by("code"), required=False,
                                      empty_label=gettext_lazy("Whole county"))
    access = forms.ChoiceField(label=gettext_lazy("rights"), initial="read",
                               choices=[("read", gettext_lazy("Read only")), ("write", gettext_lazy("Read and write"))],
                               widget=forms.RadioSelect)
    expires_days = forms.IntegerField(label=gettext_lazy("valid for (days)"), min_value=0, max_value=3650, initial=DEFAULT_DAYS,
                                      help_text=gettext_lazy("0 means it never expires."))
    personal_data = forms.BooleanField(label=gettext_lazy("may see ID and phone numbers unmasked"), required=False,
                                       help_text=gettext_lazy("Every unmasked read is recorded."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A token's scope lies within its maker's: a county's administrator makes their county's
        # tokens (the county fixed); a city's names one of its counties; the deployment's may leave it.
        scope = scope_of(user)
        self.user = user
        self.fields["township"].queryset = Township.objects.restrict(user, "view").order_by("code")
        county = self.fields["county"]
        county.queryset = County.objects.restrict(user, "view").order_by("code")
        if scope.county_id:
            county.queryset = county.queryset.filter(pk=scope.county_id)
            county.disabled = True
            county.initial = scope.county_id
        elif scope.level == "city":
            county.required = True
            county.empty_label = gettext_lazy("Please choose")
        elif county.queryset.count() <= 1:
            del self.fields["county"]  # one county: a county-wide token is of every record, as before
        for field in self.fields.values():
            if isinstance(field.widget, (forms.CheckboxInput, forms.RadioSelect)):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select"
            else:
                field.widget.attrs["class"] = "form-control"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the name of the client."))
        return name

    def clean(self):
        cleaned = super().clean()
        township, county = cleaned.get("township"), cleaned.get("county")
        if township is not None and county is not None and township.county_id != county.pk:
            self.add_error("township", _("The township chosen is not in this county."))
        return cleaned


class ApiTokenListView(UserManagementView):
    template_name = "api/token_list.html"

    def breadcrumbs(self):
        return [(_("Wenshang County"), reverse("home")), (ApiToken._meta.verbose_name_plural, reverse("api_token_list"))]

    def page(self, form, status=200):
        tokens = (ApiToken.objects.restrict(self.request.user, "view")
                  .select_related("township", "created_by", "revoked_by", "user__township", "user__county", "user__city")
                  .order_by("-created_at", "-pk"))
        return render(self.request, self.template_name,
                      {"form": bootstrap_errors(form), "tokens": tokens, "breadcrumbs": self.breadcrumbs()}, status=status)

    def get(self, request):
        return self.page(ApiTokenForm(user=request.user))

    def post(self, request):
        form = ApiTokenForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.page(form, status=400)
        data = form.cleaned_data
        token, key = create_token(
            name=data["name"], township=data["township"], county=data.get("county"), read_only=data["access"] == "read",
            expires_days=data["expires_days"], personal_data=data["personal_data"], created_by=request.user,
        )
        # Shown by the next page, once: a reload of that page shows it no more and makes no new token.
        request.session[NEW_TOKEN] = {"pk": token.pk, "key": key}
        return redirect("api_token_created", pk=token.pk)


NEW_TOKEN = "new_api_token"


class ApiTokenCreatedView(UserManagementView):
    breadcrumbs = ApiTokenListView.breadcrumbs

    def get(self, request, pk):
        new = request.session.pop(NEW_TOKEN, None)
        if not new or new["pk"] != pk:
            messages.info(request, _("A token is shown only once, right after it is made. If it was not saved, revoke it and make a new one."))
            return redirect("api_token_list")
        token = get_object_or_404(ApiToken.objects.restrict(request.user, "view"), pk=pk)
        response = render(request, "api/token_created.html",
                          {"token": token, "key": new["key"], "breadcrumbs": self.breadcrumbs(),
                           "base": request.build_absolute_uri("/api/v1/").rstrip("/")})
        response["Cache-Control"] = "no-store"  # the token is on this page only
        return response


class ApiTokenRevokeView(UserManagementView):
    def post(self, request, pk):
        token = get_object_or_404(ApiToken.objects.restrict(request.user, "view"), pk=pk)
        revoke(token, by=request.user)
        messages.success(request, _("The token of “%(name)s” was revoked; it no longer works.") % {"name": token.name})
        return redirect("api_token_list")


# -- webhooks: subscribers of other systems, their deliveries ---------------------------------------------
def event_choices():
    """The events a subscriber may choose: everything, each record kind's changes, the features' events."""
    kinds = sorted(REGISTRY.values(), key=lambda c: (c.app(), c.plural))
    return ([("*", _("Everything"))]
            + [(f"{c.app()}/{c.plural}.*", _("%(records)s: created, changed, deleted") % {"records": c.model._meta.verbose_name_plural})
               for c in kinds]
            + [(name, label) for name, label in webhooks.OTHER_EVENTS.items()])


class WebhookForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("subscriber"), max_length=100,
                           help_text=gettext_lazy("The system that receives the events, e.g. 省乡村振兴平台."))
    url = forms.URLField(label=pgettext_lazy("webhook", "address"), max_length=500, assume_scheme="https",
                         help_text=gettext_lazy("Where the events are POSTed, e.g. https://sys.example.gov.cn/hooks/wenshang."))
    township = forms.ModelChoiceField(label=pgettext_lazy("webhook", "scope"), queryset=Township.objects.none(), required=False,
                                      empty_label=gettext_lazy("Whole county"))
    events = forms.MultipleChoiceField(label=gettext_lazy("events"), choices=(),
                                       help_text=gettext_lazy("Hold Ctrl (⌘ on a Mac) to choose several."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["township"].queryset = Township.objects.restrict(user, "view").order_by("code")
        self.fields["events"].choices = event_choices()
        self.fields["events"].widget.attrs.update({"class": "form-select", "size": 12})
        for name in ("name", "url"):
            self.fields[name].widget.attrs["class"] = "form-control"
        self.fields["township"].widget.attrs["class"] = "form-select"

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter the name of the subscriber."))
        return name

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("The address must begin with http:// or https://."))
        return url


def county_of(user):
    """The county whose subscribers ``user`` manages (a county's administrator's), or None."""
    scope = scope_of(user)
    if scope.county_id:
        return County.objects.get(pk=scope.county_id)
    counties = list(County.objects.restrict(user, "view").order_by("code")[:2])
    return counties[0] if len(counties) == 1 else None


class WebhookListView(UserManagementView):
    template_name = "api/webhook_list.html"

    def breadcrumbs(self):
        return [(_("Wenshang County"), reverse("home")), (Webhook._meta.verbose_name_plural, reverse("webhook_list"))]

    def page(self, form, status=200):
        hooks = Webhook.objects.restrict(self.request.user, "view").select_related("township", "created_by")
        counts = {row["webhook"]: row for row in WebhookDelivery.objects.filter(webhook__in=hooks).values("webhook").annotate(
            pending=Count("pk", filter=Q(state=WebhookDelivery.State.PENDING)),
            failed=Count("pk", filter=Q(state=WebhookDelivery.State.FAILED)),
            delivered=Count("pk", filter=Q(state=WebhookDelivery.State.DELIVERED)))}
        labels = dict(event_choices())
        rows = [{"hook": h, "counts": counts.get(h.pk, {}), "events": [labels.get(e, e) for e in h.events]} for h in hooks]
        return render(self.request, self.template_name, {
            "form": bootstrap_errors(form), "rows": rows, "breadcrumbs": self.breadcrumbs(),
            "county": county_of(self.request.user)}, status=status)

    def get(self, request):
        return self.page(WebhookForm(user=request.user))

    def post(self, request):
        form = WebhookForm(request.POST, user=request.user)
        county = county_of(request.user)
        if county is None:
            form.add_error(None, _("Subscribers are registered by a county's administrator, for that county."))
        if not form.is_valid():
            return self.page(form, status=400)
        data = form.cleaned_data
        hook = webhooks.subscribe(name=data["name"], url=data["url"], events_chosen=data["events"], county=county,
                                  township=data["township"], created_by=request.user)
        request.session[NEW_SECRET] = {"pk": hook.pk}
        return redirect("webhook_detail", pk=hook.pk)


NEW_SECRET = "new_webhook_secret"


class WebhookDetailView(UserManagementView):
    """A subscriber's deliveries, newest first (its secret shown once, right after it is made)."""

    def breadcrumbs(self, hook):
        return WebhookListView.breadcrumbs(self) + [(hook.name, reverse("webhook_detail", args=[hook.pk]))]

    def get(self, request, pk):
        hook = get_object_or_404(Webhook.objects.restrict(request.user, "view").select_related("township"), pk=pk)
        new = request.session.pop(NEW_SECRET, None)
        shown = bool(new and new["pk"] == hook.pk)
        deliveries = WebhookDelivery.objects.filter(webhook=hook).order_by("-created_at", "-pk")
        state = request.GET.get("state", "")
        if state in WebhookDelivery.State.values:
            deliveries = deliveries.filter(state=state)
        response = render(request, "api/webhook_detail.html", {
            "hook": hook, "secret": hook.secret if shown else None, "deliveries": deliveries[:200], "state": state,
            "states": WebhookDelivery.State.choices, "breadcrumbs": self.breadcrumbs(hook),
            "events": [dict(event_choices()).get(e, e) for e in hook.events]})
        response["Cache-Control"] = "no-store"
        return response

    def post(self, request, pk):
        hook = get_object_or_404(Webhook.objects.restrict(request.user, "view"), pk=pk)
        action = request.POST.get("action")
        if action == "redeliver":
            number = request.POST.get("delivery", "")
            delivery = get_object_or_404(WebhookDelivery, webhook=hook, pk=int(number) if number.isascii() and number.isdigit() else 0)
            webhooks.redeliver(delivery)
            messages.success(request, _("The delivery will be sent again in a moment."))
        elif action in ("pause", "resume"):
            webhooks.set_active(hook, action == "resume")
            messages.success(request, _("Deliveries resumed.") if hook.active else _("Deliveries paused."))
        elif action == "delete":
            webhooks.remove(hook)
            messages.success(request, _("The subscriber “%(name)s” was deleted.") % {"name": hook.name})
            return redirect("webhook_list")
        return redirect("webhook_detail", pk=hook.pk)
