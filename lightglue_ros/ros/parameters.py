# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Config dataclasses (VOConfig, NodeConfig, …) as ROS 2 parameters.

One declared parameter per field, with its description and range or choices; values checked by the dataclass's own
validation.
"""
from __future__ import annotations

import dataclasses

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor


def descriptor(f: dataclasses.Field) -> ParameterDescriptor:
    meta = f.metadata
    text = meta.get("description", "")
    if "choices" in meta:
        text += f" One of: {', '.join(meta['choices'])}."
    result = ParameterDescriptor(description=text)
    if "range" in meta:
        lo, hi = meta["range"]
        if isinstance(f.default, int) and not isinstance(f.default, bool):
            result.integer_range = [IntegerRange(from_value=int(lo), to_value=int(hi), step=0)]
        else:
            result.floating_point_range = [FloatingPointRange(from_value=float(lo), to_value=float(hi))]
    return result


def declare_parameters(node, cls):
    """Declare every field of `cls` on the node and build the config from the values given at start-up.

    Defaults come from the dataclass; ValueError names the bad value.
    """
    values = {}
    for f in dataclasses.fields(cls):
        default = list(f.default) if isinstance(f.default, tuple) else f.default
        values[f.name] = node.declare_parameter(f.name, default, descriptor(f)).value
    return cls(**values)


def updated(config, parameters):
    """A copy of `config` with the changed ROS parameters that belong to it applied (ValueError if invalid)."""
    names = {f.name for f in dataclasses.fields(config)}
    changes = {p.name: p.value for p in parameters if p.name in names}
    return dataclasses.replace(config, **changes) if changes else config


def restart_needed(old, new) -> list:
    """Names of the changed fields that are marked `restart` (built once: a running node cannot apply them)."""
    return [f.name for f in dataclasses.fields(old)
            if f.metadata.get("restart") and getattr(old, f.name) != getattr(new, f.name)]
