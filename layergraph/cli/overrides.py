"""`--set NAME=VALUE`: override a spec template's parameters from the command line."""
from __future__ import annotations

import argparse
import re
from typing import Any

from layergraph.errors import SpecError
from layergraph.spec.evaluate import evaluate
from layergraph.spec.expr import ExprError
from layergraph.spec.yamlsafe import load_yaml

_NAME = re.compile(r"(?:(generator|discriminator)\.)?([A-Za-z]\w*)\Z", re.ASCII)


def add_set_option(parser: argparse.ArgumentParser, train: bool = False) -> None:
    """Add the repeatable --set option to a sub-command."""
    what = "generator.NAME=VALUE or discriminator.NAME=VALUE" if train else "NAME=VALUE"
    parser.add_argument("--set", action="append", default=[], metavar=what.split(" or ")[0],
                        help=f"override a parameter of the spec's params: ({what}; repeatable). VALUE is YAML "
                             "(32, 0.5, [4, 4, 512], same) or an expression of numbers (2^5)")


def set_values(items: list[str], train: bool = False) -> dict[str, Any]:
    """{'numFilters': 32, ...} from ['numFilters=32', ...]; with train, keys keep their 'generator.' prefix."""
    out: dict[str, Any] = {}
    for item in items:
        name, eq, text = item.partition("=")
        m = _NAME.match(name.strip())
        if not eq or m is None or bool(m.group(1)) != train or not text.strip():
            want = "generator.NAME=VALUE or discriminator.NAME=VALUE" if train else "NAME=VALUE"
            raise SpecError(f"--set {item}: write {want} (e.g. --set "
                            f"{'generator.' if train else ''}numFilters=32)")
        shown = item if len(item) <= 60 else item[:59] + "…"  # errors stay one readable line
        out[name.strip()] = _value(text.strip(), f"--set {shown}")
    return out


def _value(text: str, where: str) -> Any:
    """YAML (32, [4, 4, 512], same, '${...}'); text that is an expression of numbers (2^5) is computed."""
    value = load_yaml(text, where)
    if isinstance(value, str) and "${" not in value:
        try:
            return evaluate(value, {})
        except ExprError:
            return value
    return value
