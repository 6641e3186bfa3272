from django.conf import settings

from wenshang.web.portal import menu_html


def portal(request):
    user = getattr(request, "user", None)
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "DATA_AS_OF": settings.PORTAL_DATA_AS_OF,
        "MENU_HTML": menu_html() if user is not None and user.is_authenticated else "",
    }
