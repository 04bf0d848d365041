from django.urls import path

from . import views

app_name = "appeals"

urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("file/<int:hold_pk>/", views.appeal_file, name="file"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/reply/", views.appeal_reply, name="reply"),
    path("<int:pk>/live/", views.appeal_live, name="live"),
    path("support/new/", views.support_new, name="support_new"),
    path("support/new/<int:hold_pk>/", views.support_new, name="support_new"),
    path("not-me/<int:hold_pk>/", views.not_me, name="not_me"),
    path("<int:appeal_pk>/files/<int:pk>/", views.attachment_download, name="attachment"),
]
