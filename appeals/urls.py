from django.urls import path

from . import views

app_name = "appeals"

urlpatterns = [
    path("", views.appeal_list, name="list"),
    path("file/<int:hold_pk>/", views.appeal_file, name="file"),
    path("<int:pk>/", views.appeal_detail, name="detail"),
    path("<int:pk>/reply/", views.appeal_reply, name="reply"),
    path("<int:appeal_pk>/files/<int:pk>/", views.attachment_download, name="attachment"),
]
