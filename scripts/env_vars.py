"""Every environment variable Buurtnet's code reads, found in its source with `ast`.

  python scripts/env_vars.py            one name per line, with the files that read it
  python scripts/env_vars.py --names    the names alone

Reads under buurtnet/: `os.environ.get("X", …)`, `os.environ["X"]`, `os.getenv("X")`,
`"X" in os.environ`, and the settings helpers `env_bool("X")`, `env_list("X")`. A name built
at run time (a prefix such as ANYMAIL_) is not a literal and is not found: docs/deploy.md
describes those by hand. buurtnet/tests/test_env_vars_documented.py compares this list with
the tables of docs/deploy.md, so the documentation cannot drift from the code.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "buurtnet"
# Settings helpers whose first argument is the variable's name (buurtnet/settings.py).
HELPERS = {"env_bool", "env_list"}


def _is_environ(node: ast.AST) -> bool:
    """`os.environ` or a bare `environ` (from os import environ)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    return isinstance(node, ast.Name) and node.id == "environ"


def _literal(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _first_argument(call: ast.Call) -> str | None:
    return _literal(call.args[0]) if call.args else None


def name_read(node: ast.AST) -> str | None:
    """The variable this expression reads, if it is one of the forms above. Writes such as
    os.environ["X"] = … and setdefault are not reads of a setting."""
    if isinstance(node, ast.Call):
        function = node.func
        if isinstance(function, ast.Name) and function.id in HELPERS | {"getenv"}:
            return _first_argument(node)
        if not isinstance(function, ast.Attribute):
            return None
        if function.attr == "get" and _is_environ(function.value):
            return _first_argument(node)
        is_os = isinstance(function.value, ast.Name) and function.value.id == "os"
        return _first_argument(node) if function.attr == "getenv" and is_os else None
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        return _literal(node.slice) if _is_environ(node.value) else None
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        membership = isinstance(node.ops[0], ast.In | ast.NotIn)
        return _literal(node.left) if membership and _is_environ(node.comparators[0]) else None
    return None


def names_read(tree: ast.AST) -> set[str]:
    """The environment variables one module reads."""
    return {name for node in ast.walk(tree) if (name := name_read(node))}


def environment_variables(source: Path = SOURCE) -> dict[str, list[str]]:
    """Each variable read under `source`, with the files (relative to the repository) that
    read it."""
    readers: dict[str, list[str]] = defaultdict(list)
    for path in sorted(source.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for name in names_read(tree):
            readers[name].append(str(path.relative_to(ROOT)))
    return dict(sorted(readers.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", action="store_true", help="print the names only")
    args = parser.parse_args()
    for name, files in environment_variables().items():
        print(name if args.names else f"{name:<36} {', '.join(files)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
