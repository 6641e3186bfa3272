"""Forms of the alliances app where the generic model form is not right."""
from django import forms
from django.utils.translation import gettext_lazy as _

from wenshang.web.forms import PortalModelForm

from .models import Alliance, FundEntry, PairingOutcome
from .selectors import fund_balances


def money(value):
    return f"{value:,.2f}"


class AllianceFundChoiceField(forms.ModelChoiceField):
    """The alliances a fund entry may go to, each with the current balance of its fund."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._balances = None

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result._balances = None
        return result

    def label_from_instance(self, obj):
        if self._balances is None:
            self._balances = fund_balances(alliances=self.queryset)
        balance = self._balances.get(obj.pk, 0)
        return _("%(alliance)s (balance %(balance)s yuan)") % {"alliance": obj, "balance": money(balance)}


class FundEntryForm(PortalModelForm):
    """A new ledger entry. ``balance_after`` is computed (not a field); entries are not edited
    after they are recorded, a correcting entry is recorded instead."""

    alliance = AllianceFundChoiceField(queryset=Alliance.objects.all(), label=_("alliance"))

    class Meta:
        model = FundEntry
        fields = ["alliance", "date", "kind", "amount", "unit", "purpose"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["alliance"]
        chosen = self.data.get(self.add_prefix("alliance")) if self.is_bound else self.initial.get("alliance")
        alliance = None
        if chosen:
            try:
                alliance = field.queryset.filter(pk=getattr(chosen, "pk", chosen)).first()
            except (TypeError, ValueError):
                alliance = None
        if alliance is not None:
            self.current_balance = alliance.fund_balance()
            field.help_text = _("Current balance of this alliance's fund: %(balance)s yuan.") % {
                "balance": money(self.current_balance)
            }
        else:
            self.current_balance = None
            field.help_text = _("The current balance of each alliance's fund is shown next to its name.")
        self.fields["amount"].help_text = _("A disbursement may not exceed the balance of the fund.")


class PairingOutcomeForm(PortalModelForm):
    class Meta:
        model = PairingOutcome
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a pairing is named by its village and enterprise: load them with the choices
        self.fields["pairing"].queryset = self.fields["pairing"].queryset.select_related("village", "enterprise")

