from django.urls import path

from .api import api

# No app_name: ninja names its own namespace ("api-v1") and reverses its URLs by it.
urlpatterns = [path("", api.urls)]
