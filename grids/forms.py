"""Forms of the grids app where the generic model form is not right."""
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from wenshang.web.forms import PortalModelForm

from .models import CreditRecord, Grid, GridEvent, GridWorker, Household


def grid_field():
    """A grid, chosen by search-as-you-type (named with its village: every village has a 第一网格)."""
    return forms.ModelChoiceField(queryset=Grid.objects.all(), label=_("grid"))


class GridWorkerForm(PortalModelForm):
    grid = grid_field()

    class Meta:
        model = GridWorker
        fields = "__all__"


class HouseholdForm(PortalModelForm):
    """``credit_points`` is the total of the household's credit records: never typed in."""

    grid = grid_field()

    class Meta:
        model = Household
        exclude = ["credit_points"]


class CreditRecordForm(PortalModelForm):
    """Points for one household, chosen by search-as-you-type (a village has thousands), or
    preset when the form is opened from a household's page (``?household=…``)."""

    class Meta:
        model = CreditRecord
        fields = ["household", "date", "category", "points", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].help_text = _("Points earned, or negative points for a deduction.")


class GridEventForm(PortalModelForm):
    """The event as reported. Its progress (assigned, resolved, closed: who and when) is recorded
    by the buttons on its page (``grids.services.advance_event``), not typed in here."""

    grid = grid_field()

    class Meta:
        model = GridEvent
        fields = ["grid", "title", "category", "description", "reported_at", "reported_by"]

    def _update_errors(self, errors):
        # The model's checks of the later steps name fields this form does not show: put them
        # above the form instead of failing.
        if hasattr(errors, "error_dict"):
            moved = {}
            for name, messages in errors.error_dict.items():
                key = name if name in self.fields else NON_FIELD_ERRORS
                moved.setdefault(key, []).extend(messages)
            errors = ValidationError(moved)
        super()._update_errors(errors)


class EventStepForm(forms.Form):
    """One step of a grid event's progress, posted from its page."""

    to_status = forms.CharField(widget=forms.HiddenInput)
    by = forms.CharField(label=_("by"), max_length=50, required=False)
    note = forms.CharField(label=_("note"), widget=forms.Textarea, required=False)
