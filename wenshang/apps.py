from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class WenshangConfig(AppConfig):
    name = "wenshang"
    verbose_name = _("Portal accounts and change log")

    def ready(self):
        # The folders of a local run (SQLite database, filesystem broker), made here rather than when
        # the settings are imported: every process (web, worker, command, tests) passes here first.
        for folder in getattr(settings, "LOCAL_FOLDERS", ()):
            Path(folder).mkdir(parents=True, exist_ok=True)

        from django.contrib import admin

        from wenshang.accounts.views import AdminLoginForm
        from wenshang.api import webhooks  # noqa: F401  (events and record changes reach the subscribers)
        from wenshang.closing import guard, history, views  # noqa: F401  (locked quarters refuse writes; refused writes become requests)
        from wenshang.dashboard import signals as dashboard_signals  # noqa: F401  (dashboards stale after a change)
        from wenshang.kernel import audit  # noqa: F401  (connect the change-log and search-index signals)
        from wenshang.web import aggregates  # noqa: F401  (the figures' aggregates follow every write)

        admin.site.login_form = AdminLoginForm  # the lockout message on the admin's login page too
