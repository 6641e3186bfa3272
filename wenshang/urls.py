from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from wenshang.accounts.views import LoginForm
from wenshang.dashboard.views import home
from wenshang.kernel import csp
from wenshang.web import lookup

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(csp.REPORT_PATH.lstrip("/"), csp.report, name="csp_report"),
    path("accounts/", include("wenshang.accounts.urls")),
    path("accounts/", include("wenshang.api.page_urls")),
    path("imports/", include("wenshang.imports.urls")),
    path("", include("wenshang.search.urls")),
    path("lookup/<str:label>/", lookup.lookup_view, name="lookup"),
    path("admin/", admin.site.urls),
    path("api/", include("wenshang.api.urls")),
    path("dashboard/", include("wenshang.dashboard.urls")),
    path("reports/", include("wenshang.reports.urls")),
    path("closing/", include("wenshang.closing.urls")),
    path("villages/", include("villages.urls")),
    path("alliances/", include("alliances.urls")),
    path("grids/", include("grids.urls")),
    path("finance/", include("finance.urls")),
    path("talent/", include("talent.urls")),
]

handler404 = "wenshang.api.views.not_found"
handler500 = "wenshang.api.views.server_error"
