from django.conf import settings


def portal(request):
    return {"PORTAL_NAME": settings.PORTAL_NAME, "DATA_AS_OF": settings.PORTAL_DATA_AS_OF}
