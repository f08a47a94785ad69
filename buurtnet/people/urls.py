from django.urls import path

from . import views

app_name = "people"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("phone/", views.phone, name="phone"),
    path("preferences/", views.preferences, name="preferences"),
]
