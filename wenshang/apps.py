from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WenshangConfig(AppConfig):
    name = "wenshang"
    verbose_name = _("Portal accounts and change log")

    def ready(self):
        from django.contrib import admin

        from . import audit, search  # noqa: F401  (connect the change-log and search-index signals)
        from .accounts import AdminLoginForm
        from .dashboard import signals as dashboard_signals  # noqa: F401  (dashboards stale after a change)

        admin.site.login_form = AdminLoginForm  # the lockout message on the admin's login page too
