from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/status/", views.change_status, name="status"),
    path("<int:pk>/feedback/", views.feedback, name="feedback"),
    path("<int:pk>/message/", views.publish, name="publish"),
    path("<int:pk>/relay/", views.relay, name="relay"),
    path("<int:pk>/photos/<int:photo_pk>/", views.photo, name="photo"),
    path("from-reply/<int:reply_pk>/", views.from_reply, name="from_reply"),
    path("zone/<int:zone_id>/categories/", views.zone_categories, name="zone_categories"),
]
