"""What waits for a user (待办): a clerk's quarters to submit and those returned, their correction
requests answered; the county's submissions to review and correction requests to decide."""
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wenshang.closing import services
from wenshang.closing.models import Correction, Submission, period_of
from wenshang.kernel.choices import Role


def _url(name, *args):
    return reverse(name, args=args)


def for_user(user):
    """[{kind, label, url, due}] of what waits for ``user`` (a few queries)."""
    if not user.is_authenticated:
        return []
    out = []
    year, quarter = services.latest_ended()
    if user.role == Role.TOWNSHIP and user.township_id:
        sub = Submission.objects.filter(township_id=user.township_id, period=period_of(year, quarter)).first()
        if sub is None or sub.state == Submission.State.OPEN:
            out.append({"kind": "submit", "label": _("Submit %(year)s Q%(quarter)s (due %(due)s)") % {
                "year": year, "quarter": quarter, "due": services.deadline(year, quarter)},
                "url": _url("closing:submission", user.township_id, year, quarter), "due": services.deadline(year, quarter)})
        for sub in Submission.objects.filter(township_id=user.township_id, state=Submission.State.RETURNED):
            out.append({"kind": "returned", "label": _("%(period)s was returned: %(comment)s") % {
                "period": sub.period_label, "comment": sub.comment},
                "url": _url("closing:submission", sub.township_id, sub.year, sub.quarter), "due": services.deadline(sub.year, sub.quarter)})
        for c in Correction.objects.filter(requested_by=user, seen_at__isnull=True).exclude(state=Correction.State.PENDING):
            out.append({"kind": "answered", "label": _("Correction request %(pk)s: %(state)s") % {"pk": c.pk, "state": c.get_state_display()},
                        "url": _url("closing:correction", c.pk), "due": None})
    if user.is_superuser or user.role == Role.ADMIN and user.township_id is None:
        subs = Submission.objects.restrict(user, "view").filter(state=Submission.State.SUBMITTED).select_related("township")
        for sub in subs:
            out.append({"kind": "review", "label": _("Review %(period)s of %(township)s") % {
                "period": sub.period_label, "township": sub.township.name},
                "url": _url("closing:submission", sub.township_id, sub.year, sub.quarter), "due": None})
        for c in Correction.objects.restrict(user, "view").filter(state=Correction.State.PENDING).select_related("content_type"):
            out.append({"kind": "decide", "label": _("Decide correction request %(pk)s: %(record)s") % {"pk": c.pk, "record": c.object_repr or c.content_type.name},
                        "url": _url("closing:correction", c.pk), "due": None})
    return out


def count(user):
    return len(for_user(user))


def seen(correction):
    Correction.objects.filter(pk=correction.pk).update(seen_at=timezone.now())
