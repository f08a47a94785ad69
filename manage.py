#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")
    from django.core.management import execute_from_command_line

    from buurtnet.secret_key import refuse_unsafe_key

    refuse_unsafe_key()
    execute_from_command_line(sys.argv)
