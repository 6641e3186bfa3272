"""What a user may see of the quarter close: their counties, a township of their scope."""
from django.apps import apps
from django.http import Http404


def counties(user):
    """The counties whose quarters ``user`` reads (scoped as every record)."""
    return list(apps.get_model("villages.County").objects.restrict(user, "view").order_by("code"))


def township_for(user, pk):
    township = apps.get_model("villages.Township").objects.restrict(user, "view").select_related("county").filter(pk=pk).first()
    if township is None:
        raise Http404
    return township
