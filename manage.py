#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buurtnet.settings")
    import django
    from django.core.management import ManagementUtility, execute_from_command_line

    from buurtnet.startup import refuse_unsafe_settings

    refuse_unsafe_settings()
    if sys.argv[1:2] == ["version"]:
        # Django answers "version" itself, with its own version, before it looks at the
        # installed commands: hand it to Buurtnet's (buurtnet/core).
        django.setup()
        ManagementUtility(sys.argv).fetch_command("version").run_from_argv(sys.argv)
        return
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
