"""URL map. Private files have no pattern here: they are served only by
permission-checked views of the apps that own them."""

from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/password_change/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("verification/", include("verification.urls")),
    path("appeals/", include("appeals.urls")),
    path("api/", include("accounts.api.urls")),
    path("", include("accounts.urls")),
]
