from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.status, name="status"),
    path("help/", views.help_page, name="help"),
    path("notices/", views.notices, name="notices"),
    path("language/", views.switch_language, name="switch_language"),
]
