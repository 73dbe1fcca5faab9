# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The learned models in plain PyTorch (no ROS): extractors, LightGlue, weights, and the matching API.

Modules load on use (`lightglue_ros.models.matching.extractor_class`), so importing one model does not import
the others' dependencies.
"""
