"""``/api/v1/<app>/<plural>/`` for every entity of the portal, the figures, the schema and its
documentation pages (Swagger UI, served from ``static/vendor``: no internet needed)."""
from importlib import import_module

from django.apps import apps
from django.urls import include, path, re_path
from django.utils.module_loading import module_has_submodule
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from wenshang.api import (
    changes,
    closing,
    schema,  # noqa: F401 - registers the token scheme with drf-spectacular
)
from wenshang.api.views import FiguresView, IndexView, not_found, viewset_for
from wenshang.web.portal import REGISTRY


def app_routes():
    for app in apps.get_app_configs():  # every app's ModelViews are registered when its views load
        if module_has_submodule(app.module, "views"):
            import_module(f"{app.name}.views")
    routers = {}
    for config in REGISTRY.values():
        router = routers.setdefault(config.app(), SimpleRouter())
        router.register(config.plural, viewset_for(config), basename=f"{config.app()}-{config.plural}")
    return [path(f"{app}/", include((router.urls, f"api-{app}"))) for app, router in sorted(routers.items())]


urlpatterns = [
    path("v1/", IndexView.as_view(), name="api-index"),
    path("v1/figures/", FiguresView.as_view(), name="api-figures"),
    path("v1/todos/", closing.TodosView.as_view(), name="api-todos"),
    path("v1/changes/", changes.ChangesView.as_view(), name="api-changes"),
    path("v1/closing/quarters/", closing.QuartersView.as_view(), name="api-closing-quarters"),
    path("v1/closing/quarters/<str:township>/<str:period>/", closing.QuarterView.as_view(), name="api-closing-quarter"),
    *[path(f"v1/closing/quarters/<str:township>/<str:period>/{step}/", closing.step_view(step).as_view(),
           name=f"api-closing-{step}") for step in ("submit", "approve", "return")],
    path("v1/closing/corrections/", closing.CorrectionsView.as_view(), name="api-closing-corrections"),
    path("v1/closing/corrections/<int:id>/approve/", closing.decision_view(True).as_view(), name="api-closing-approve-correction"),
    path("v1/closing/corrections/<int:id>/reject/", closing.decision_view(False).as_view(), name="api-closing-reject-correction"),
    path("v1/", include(app_routes())),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # the split view serves Swagger UI's start-up script from ?script= (the CSP allows no inline script)
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # any other address under /api/: a 404 in the API's error format, whatever the method (no CSRF
    # check: a PUT to a wrong address would otherwise get the HTML 403 of CsrfViewMiddleware)
    re_path(r"^", csrf_exempt(not_found)),
]
