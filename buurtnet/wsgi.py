import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")

from buurtnet.startup import APP_LOAD_ERROR, refuse_unsafe_settings  # noqa: E402 - needs settings

refuse_unsafe_settings(exit_status=APP_LOAD_ERROR)
application = get_wsgi_application()
