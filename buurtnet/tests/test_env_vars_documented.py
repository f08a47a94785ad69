"""docs/deploy.md lists every environment variable the code reads, and only those.

The list of what the code reads comes from scripts/env_vars.py (the source, parsed with
`ast`); the documented names from the tables of docs/deploy.md between the markers
`<!-- env-vars -->` … `<!-- /env-vars -->` (production) and `<!-- env-vars-development -->`
… `<!-- /env-vars-development -->` (tests and demo only).
"""

import ast
import importlib.util
import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
TABLES = ("env-vars", "env-vars-development", "env-vars-outside")
# The first cell of a row: `NAME`, or `PREFIX_*` for a family of names.
ROW_NAME = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]*\*?)`\s*\|", re.MULTILINE)
EXAMPLE_LINE = re.compile(r"^#?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def load_scanner():
    spec = importlib.util.spec_from_file_location("env_vars", ROOT / "scripts" / "env_vars.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def documented(text: str) -> dict[str, set[str]]:
    """The variable names of each marked table: the first cell of each row, in backticks."""
    tables = {}
    for table in TABLES:
        match = re.search(rf"<!-- {table} -->(.*?)<!-- /{table} -->", text, flags=re.DOTALL)
        tables[table] = set(ROW_NAME.findall(match.group(1))) if match else set()
    return tables


def read_by_code() -> set[str]:
    return set(load_scanner().environment_variables())


def test_every_variable_the_code_reads_is_in_the_deploy_doc():
    tables = documented(DEPLOY_DOC.read_text())
    missing = sorted(read_by_code() - tables["env-vars"] - tables["env-vars-development"])
    assert not missing, (
        "Read by the code but not in a table of docs/deploy.md (run scripts/env_vars.py): "
        + ", ".join(missing)
    )


def test_every_variable_in_the_deploy_doc_is_read_by_the_code():
    tables = documented(DEPLOY_DOC.read_text())
    stale = sorted((tables["env-vars"] | tables["env-vars-development"]) - read_by_code())
    assert not stale, "In docs/deploy.md but read nowhere in buurtnet/: " + ", ".join(stale)


def test_no_variable_is_in_two_tables():
    tables = list(documented(DEPLOY_DOC.read_text()).values())
    for i, table in enumerate(tables):
        for other in tables[i + 1 :]:
            assert not table & other


def test_every_setting_in_the_env_example_is_documented():
    tables = documented(DEPLOY_DOC.read_text())
    known = tables["env-vars"] | tables["env-vars-outside"]
    prefixes = tuple(name[:-1] for name in known if name.endswith("*"))
    unknown = sorted(
        name
        for name in EXAMPLE_LINE.findall(ENV_EXAMPLE.read_text())
        if name not in known and not name.startswith(prefixes)
    )
    assert not unknown, "deploy/env.example sets what docs/deploy.md does not list: " + ", ".join(
        unknown
    )


def test_the_production_table_holds_the_settings_a_deploy_cannot_do_without():
    production = documented(DEPLOY_DOC.read_text())["env-vars"]
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "DATABASE_URL"} <= production


def test_the_scanner_finds_every_way_of_reading_a_variable():
    source = textwrap.dedent(
        """
        import os
        from os import environ
        a = os.environ.get("WITH_GET", "x")
        b = os.environ["WITH_SUBSCRIPT"]
        c = os.getenv("WITH_GETENV")
        d = env_bool("WITH_ENV_BOOL", False)
        e = env_list("WITH_ENV_LIST")
        f = "WITH_IN" in os.environ
        g = environ.get("WITH_BARE_ENVIRON")
        """
    )
    assert load_scanner().names_read(ast.parse(source)) == {
        "WITH_GET",
        "WITH_SUBSCRIPT",
        "WITH_GETENV",
        "WITH_ENV_BOOL",
        "WITH_ENV_LIST",
        "WITH_IN",
        "WITH_BARE_ENVIRON",
    }


def test_the_scanner_ignores_writes_and_names_built_at_run_time():
    source = textwrap.dedent(
        """
        import os
        os.environ["WRITTEN"] = "1"
        os.environ.setdefault("DEFAULTED", "1")
        name = "BUILT"
        value = os.environ.get(name)
        settings = {k: v for k, v in os.environ.items() if k.startswith("PREFIX_")}
        other = {}.get("NOT_THE_ENVIRONMENT")
        """
    )
    assert load_scanner().names_read(ast.parse(source)) == set()


def test_a_variable_missing_from_the_doc_is_named():
    doc = "<!-- env-vars -->\n| name | default | meaning |\n|---|---|---|\n| `DEBUG` | off | x |\n"
    doc += "<!-- /env-vars -->\n"
    tables = documented(doc)
    assert tables["env-vars"] == {"DEBUG"}
    assert "SECRET_KEY" in read_by_code() - tables["env-vars"]
