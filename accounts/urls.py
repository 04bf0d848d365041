from django.urls import path, re_path

from . import staff_two_step, views, views_data, views_platform, views_security

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
    # Security after a freeze: sign-ins, sessions, securing, two-step verification.
    path("security/", views_security.security, name="security"),
    path("security/sign-out-others/", views_security.sessions_end, name="sessions_end"),
    path("security/secure/<int:hold_pk>/", views_security.secure, name="secure"),
    path("security/checklist-done/", views_security.checklist_done, name="checklist_done"),
    path("security/two-step/", views_security.two_step_setup, name="two_step_setup"),
    path("security/two-step/verify/", views_security.two_step_verify, name="two_step_verify"),
    path("security/two-step/off/", views_security.two_step_disable, name="two_step_disable"),
    path("security/recovery-codes/", views_security.recovery_codes, name="recovery_codes"),
    # Staff: the authenticator code asked before identity images are served.
    path("staff/two-step/", staff_two_step.staff_two_step, name="staff_two_step"),
    # Download my data.
    path("data/", views_data.data_page, name="data"),
    re_path(r"^data/download\.(?P<fmt>json|html)$", views_data.data_download, name="data_download"),
]
