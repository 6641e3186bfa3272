"""The administrators' page of API tokens (``/accounts/api-tokens/``): make a token for a named
client (shown once), see every token's scope, rights, expiry and last use, revoke one."""
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from villages.models import County, Township
from wenshang.accounts.views import UserManagementView
from wenshang.api.models import ApiToken
from wenshang.api.tokens import DEFAULT_DAYS, create_token, revoke
from wenshang.kernel.scope import scope_of
from wenshang.web.forms import bootstrap_errors


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
