"""Integration API, mounted at /api/ by portal/urls.py."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import views, views_platform

app_name = "api"


class SchemaView(SpectacularAPIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get_exception_handler(self):
        return views.exception_handler


urlpatterns = [
    path("v1/schema/", SchemaView.as_view(api_version="v1"), name="schema"),
    path("v1/accounts/<str:platform_account_id>/status", views.AccountStatusView.as_view(),
         name="account-status"),
    path("v1/accounts/<str:platform_account_id>/may/<str:feature>", views.MayView.as_view(),
         name="account-may"),
    path("v1/accounts/<str:platform_account_id>/holds", views.AccountHoldsView.as_view(),
         name="account-holds"),
    path("v1/accounts/<str:platform_account_id>/events", views.AccountEventsView.as_view(),
         name="account-events"),
    path("v1/holds/<int:hold_id>/lift", views.HoldLiftView.as_view(), name="hold-lift"),
    path("v1/accounts/<str:platform_account_id>", views_platform.AccountView.as_view(),
         name="account"),
    path("v1/accounts/<str:platform_account_id>/sign-in-links",
         views_platform.SignInLinksView.as_view(), name="account-sign-in-links"),
    # Anything else under /api/ is a JSON 404, never the HTML error page.
    re_path(r"^.*$", views.not_found, name="not-found"),
]
