"""The import contract (pyproject.toml, checked by `lint-imports` in `make lint`) names every
app: an app left out of its layers would be free to import any other, and the layers would
stop meaning anything without anyone noticing."""

import re
import tomllib
from pathlib import Path

from django.apps import apps

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def layers_contract() -> dict:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["type"] == "layers")


def layers(contract: dict) -> list[set[str]]:
    """Each layer, highest first, as the full names of its packages."""
    (container,) = contract["containers"]
    return [
        {f"{container}.{name.strip().strip('()')}" for name in re.split(r"[|:]", layer)}
        for layer in contract["layers"]
    ]


def missing_apps(contract: dict) -> set[str]:
    """The installed buurtnet apps (and buurtnet.common) that are in no layer."""
    installed = {c.name for c in apps.get_app_configs() if c.name.startswith("buurtnet.")}
    layered = set().union(*layers(contract))
    return (installed | {"buurtnet.common"}) - layered


def test_every_installed_app_is_in_a_layer_of_the_contract():
    assert missing_apps(layers_contract()) == set()


def test_an_app_left_out_of_the_contract_is_found():
    contract = layers_contract()
    without_surveys = [
        "|".join(n for n in layer.split("|") if n.strip() != "surveys")
        for layer in contract["layers"]
    ]
    assert missing_apps({**contract, "layers": without_surveys}) == {"buurtnet.surveys"}


def test_common_is_the_lowest_layer_and_core_the_highest():
    found = layers(layers_contract())
    assert found[-1] == {"buurtnet.common"}
    assert found[0] == {"buurtnet.core"}


def test_only_tests_and_migrations_are_exempt():
    contract = layers_contract()
    importers = {rule.split("->")[0].strip() for rule in contract["ignore_imports"]}
    assert importers == {"buurtnet.*.tests.**", "buurtnet.*.migrations.**"}
