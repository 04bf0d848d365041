"""URL map. Private files have no pattern here: they are served only by
permission-checked views of the apps that own them."""

from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from accounts.dashboard import dashboard_view
from portal.health import health_view
from portal.metrics import metrics_view

urlpatterns = [
    # First: the host platform calls the API far more often than people load
    # pages, and every pattern tried before a match costs each request.
    path("api/", include("accounts.api.urls")),
    path("admin/queues/", admin.site.admin_view(dashboard_view), name="queues_dashboard"),
    path("admin/", admin.site.urls),
    # Operations: load-balancer probe and Prometheus scrape (token or allow-list).
    path("health/", health_view, name="health"),
    path("metrics", metrics_view, name="metrics"),
    path(
        "accounts/password_change/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    # Django's sign-in and reset views, with our messages, limits and lockout reset.
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/password_reset/", account_views.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", account_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("verification/", include("verification.urls")),
    path("appeals/", include("appeals.urls")),
    path("", include("accounts.urls")),
]

# JSON under /api/, Django's pages elsewhere (errors raised before or outside a view).
handler400 = "accounts.api.handlers.bad_request"
handler403 = "accounts.api.handlers.permission_denied"
handler404 = "accounts.api.handlers.page_not_found"
handler500 = "accounts.api.handlers.server_error"
