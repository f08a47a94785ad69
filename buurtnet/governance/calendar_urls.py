from django.urls import path

from . import calendar_views

urlpatterns = [
    path("feed/<str:secret>.ics", calendar_views.feed, name="calendar_feed"),
    path("link/", calendar_views.link, name="calendar_link"),
]
