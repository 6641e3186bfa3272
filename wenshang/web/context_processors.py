from django.conf import settings
from django.utils.translation import gettext as _

from wenshang.web.portal import menu_html


def portal_name(user):
    """The portal's name as a user reads it: their county's (a township's staff, their township's
    county's), their city's, or the deployment's (``settings.PORTAL_NAME``) for anyone else. The
    county and city come with the user (``LockoutBackend.get_user``): no query."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return settings.PORTAL_NAME
    place = user.county if getattr(user, "county_id", None) else user.city if getattr(user, "city_id", None) else None
    return _("%(place)s Rural Revitalization Portal") % {"place": place.name} if place is not None else settings.PORTAL_NAME


def portal(request):
    user = getattr(request, "user", None)
    return {
        "PORTAL_NAME": portal_name(user),
        "DATA_AS_OF": settings.PORTAL_DATA_AS_OF,
        "MENU_HTML": menu_html() if user is not None and user.is_authenticated else "",
    }
