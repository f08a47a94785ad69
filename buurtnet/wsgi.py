import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")

from buurtnet.secret_key import refuse_unsafe_key  # noqa: E402 - needs the settings module

refuse_unsafe_key()
application = get_wsgi_application()
