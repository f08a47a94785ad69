import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")

from buurtnet.startup import refuse_unsafe_settings  # noqa: E402 - needs the settings module

refuse_unsafe_settings()
application = get_asgi_application()
