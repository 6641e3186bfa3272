"""Assigning a survey round's leader and development advisor to many villages at once: every
village of a township or of a joint committee's zone (the quarterly grand survey, issue 6 item 1).
Each assignment is written through ``save_scoped``, so a user assigns only villages they may
change; a village already assigned for the round gets the new leader (one assignment per round
and village).

The view does not import ``villages.views``: ``SurveyAssignmentViews.urls`` passes itself in
(``AssignView.as_view(views=SurveyAssignmentViews)``) for the breadcrumbs and the list's address."""
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from alliances.models import Advisor, JointCommittee
from wenshang.kernel.scope import can
from wenshang.kernel.services import save_scoped
from wenshang.web.forms import bootstrap_errors

from .models import SurveyAssignment, SurveyRound, Township, Village


class AssignForm(forms.Form):
    round = forms.ModelChoiceField(label=gettext_lazy("survey round"), queryset=SurveyRound.objects.order_by("-year", "-quarter"))
    township = forms.ModelChoiceField(label=gettext_lazy("township"), queryset=Township.objects.order_by("code"), required=False)
    committee = forms.ModelChoiceField(label=gettext_lazy("joint committee"), queryset=None, required=False,
                                       help_text=gettext_lazy("Choose a township or a joint committee's zone."))
    leader_name = forms.CharField(label=gettext_lazy("leader"), max_length=50)
    leader_title = forms.CharField(label=gettext_lazy("leader's post"), max_length=100, required=False)
    advisor = forms.ModelChoiceField(label=gettext_lazy("development advisor"), queryset=None, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].queryset = Township.objects.restrict(user, "view").order_by("code")
        self.fields["committee"].queryset = JointCommittee.objects.restrict(user, "view").order_by("name")
        self.fields["advisor"].queryset = Advisor.objects.restrict(user, "view").order_by("name")
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select" if isinstance(field.widget, forms.Select) else "form-control"

    def clean(self):
        data = super().clean()
        if bool(data.get("township")) == bool(data.get("committee")):
            raise forms.ValidationError(_("Choose either a township or a joint committee's zone."))
        return data

    def villages(self, user):
        data = self.cleaned_data
        qs = Village.objects.restrict(user, "change").order_by("code")
        if data.get("township"):
            return qs.filter(township=data["township"])
        return qs.filter(zone_membership__committee=data["committee"])


class AssignView(LoginRequiredMixin, View):
    template_name = "villages/assign.html"
    views = None  # the survey assignments' ModelViews, given by its urls() (as_view(views=...))

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not can(request.user, "add", SurveyAssignment):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form):
        return render(self.request, self.template_name, {
            "form": bootstrap_errors(form), "breadcrumbs": self.views.breadcrumbs(),
            "list_url": self.views.list_url(),
        })

    def get(self, request):
        return self.render_form(AssignForm(user=request.user, initial=request.GET.dict()))

    def post(self, request):
        form = AssignForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_form(form)
        data = form.cleaned_data
        villages = list(form.villages(request.user))
        if not villages:
            form.add_error(None, _("There is no village there that you may assign."))
            return self.render_form(form)
        existing = {a.village_id: a for a in SurveyAssignment.objects.filter(round=data["round"], village__in=villages)}
        created = updated = 0
        with transaction.atomic():
            for village in villages:
                assignment = existing.get(village.pk) or SurveyAssignment(round=data["round"], village=village)
                created, updated = (created + 1, updated) if assignment.pk is None else (created, updated + 1)
                assignment.leader_name, assignment.leader_title = data["leader_name"], data["leader_title"]
                assignment.advisor = data["advisor"]
                save_scoped(assignment, user=request.user)
        messages.success(request, _("%(leader)s is assigned to %(n)s villages for %(round)s (%(created)s new, %(updated)s changed).") % {
            "leader": data["leader_name"], "n": len(villages), "round": data["round"], "created": created, "updated": updated})
        return redirect(f"{self.views.list_url()}?round={data['round'].pk}")
