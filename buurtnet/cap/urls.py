from django.urls import path

from . import views

app_name = "cap"
urlpatterns = [
    path("zone/<str:code>/", views.zone, name="zone"),
]
