from django.urls import path

from . import views

app_name = "absences"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("watch/", views.watch, name="watch"),
    path("<int:pk>/pass/", views.record_pass, name="record_pass"),
    path("zone/<int:zone_id>/settings/", views.zone_settings, name="zone_settings"),
]
