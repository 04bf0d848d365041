from django.urls import path

from . import views

app_name = "verification"

urlpatterns = [
    path("", views.start, name="start"),
    path("<int:pk>/step/<slug:name>/", views.step, name="step"),
    path("<int:pk>/liveness/frame/", views.liveness_frame, name="liveness_frame"),
    path("<int:pk>/", views.progress, name="progress"),
    path("<int:pk>/progress.json", views.progress_json, name="progress_json"),
    path("staff/image/<int:image_pk>/", views.staff_image, name="staff_image"),
]
