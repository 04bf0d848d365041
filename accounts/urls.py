from django.urls import path

from . import views, views_platform

app_name = "accounts"

urlpatterns = [
    path("", views.status, name="status"),
    path("help/", views.help_page, name="help"),
    path("notices/", views.notices, name="notices"),
    path("language/", views.switch_language, name="switch_language"),
    # Arriving from the platform: hand-off links, hold deep links, OIDC.
    path("holds/<int:pk>/", views_platform.hold, name="hold"),
    path("sign-in/link/<str:token>/", views_platform.sign_in_link, name="sign_in_link"),
    path("sign-in/platform/", views_platform.OIDCStartView.as_view(), name="oidc_start"),
    path("sign-in/platform/callback/", views_platform.OIDCCallbackView.as_view(),
         name="oidc_callback"),
]
