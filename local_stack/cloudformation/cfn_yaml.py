"""Loads CloudFormation YAML, turning short-form tags such as ``!Ref`` into long-form dicts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it (the wheels are): the template and the swagger
# parse in about a tenth of the pure-Python parser's time, which the stack's start-up pays.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CloudFormationLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe YAML loader that understands CloudFormation's intrinsic function tags."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CloudFormationLoader.add_multi_constructor("!", _construct_tag)


def load_cfn_yaml(path: str | Path) -> dict[str, Any]:
    """Read a CloudFormation/SAM/Swagger YAML file into plain Python data."""
    with Path(path).open(encoding="utf-8") as stream:
        data = yaml.load(stream, Loader=CloudFormationLoader)  # noqa: S506 - safe loader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a YAML mapping")
    return data
