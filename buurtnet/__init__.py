"""Buurtnet: buurtinformatienetwerken for Belgian police zones, municipalities and citizens."""

import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "buurtnet"
CHECKOUT_PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def read_version(pyproject: Path = CHECKOUT_PYPROJECT) -> str:
    """The version of the code that is running.

    Run from a checkout (the usual way), the pyproject.toml beside the package is the truth:
    an editable install's metadata keeps the version of the day it was installed, so a
    `git pull` that bumps the version would otherwise show the old one. Installed as a wheel
    there is no pyproject.toml beside the package, and the installed metadata answers."""
    try:
        with pyproject.open("rb") as file:
            project = tomllib.load(file).get("project", {})
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        project = {}
    if project.get("name") == DISTRIBUTION and project.get("version"):
        return str(project["version"])
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


__version__ = read_version()
