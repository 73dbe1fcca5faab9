"""The learned models in plain PyTorch (no ROS): extractors, LightGlue, weights, and the matching API.

Modules load on use (`lightglue_ros.models.matching.extractor_class`), so importing one model does not import
the others' dependencies.
"""
