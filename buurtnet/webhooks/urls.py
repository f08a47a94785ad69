from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("zone/<str:code>/", views.zone, name="zone"),
    path("endpoints/<int:pk>/", views.endpoint, name="endpoint"),
    path("endpoints/<int:pk>/rotate/", views.rotate, name="rotate"),
    path("endpoints/<int:pk>/test/", views.send_test, name="test"),
    path("endpoints/<int:pk>/delete/", views.delete, name="delete"),
]
