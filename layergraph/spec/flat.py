"""Flat spec text from a template: what `layergraph expand` prints and what a training checkpoint stores."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from layergraph.spec.expand import flatten, is_template
from layergraph.spec.yamlsafe import load_yaml


def _plain(value: Any) -> Any:
    """Plain dicts and lists (the YAML dumper does not know LineDict/LineList)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _flow(value: Any) -> str:
    return yaml.safe_dump(_plain(value), default_flow_style=True, sort_keys=False, allow_unicode=True,
                          width=1_000_000).strip()


def dump_flat(data: Mapping[str, Any], header: str = "") -> str:
    """YAML text of flat spec data, one layer per line as the shipped specs are written."""
    out = [f"# {line}" for line in header.splitlines()]
    for key in ("name", "description"):
        if key in data:
            out.append(yaml.safe_dump({key: data[key]}, sort_keys=False, allow_unicode=True, width=110).strip())
    out.append("layers:")
    out += [f"  - {_flow(entry)}" for entry in data["layers"]]
    if data.get("connections"):
        out.append("connections:")
        out += [f"  - {_flow(conn)}" for conn in data["connections"]]
    return "\n".join(out) + "\n"


def flat_spec_text(text: str, where: str, params: Mapping[str, Any] | None = None,
                   origin: str = "given in code") -> str:
    """The spec text itself when it is flat and no parameters are given; else its expansion (so that a
    checkpoint holds exactly the network that was trained, whatever the template's defaults become)."""
    data = load_yaml(text, where)
    if not params and not is_template(data):
        return text
    values = ", ".join(f"{k}={v}" for k, v in (params or {}).items())
    header = f"expanded from {where}" + (f" with {values}" if values else "")
    return dump_flat(flatten(data, where, params, origin), header)
