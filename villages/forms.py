from django.utils.translation import gettext_lazy as _

from wenshang.web.forms import PortalModelForm

from .models import Village


class VillageForm(PortalModelForm):
    """A village's tier is set when the village is created; afterwards it changes only through a
    tier-change record (date, reason, who decided), so the history is never skipped."""

    class Meta:
        model = Village
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tier"].disabled = True
            self.fields["tier"].help_text = _("Change the tier with a tier-change record (date, reason, who decided).")
