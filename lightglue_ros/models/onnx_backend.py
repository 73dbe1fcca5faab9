# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The onnxruntime backend: our PyTorch models exported to ONNX graphs, run by ONNX Runtime.

- ALIKED: its dense network (`ALIKED.dense_maps`: backbone, aggregation scales, score head) is one graph per
  working image size (a camera has one); keypoint selection and the SDDH descriptors stay in PyTorch.
- LightGlue: one graph per learnt step (`LightGlue._encode`, `_layer`, `_heads`, `_similarity`; dynamic keypoint
  counts), so the confidence and pruning decisions between the layers still run: adaptive depth and width work as
  in PyTorch (public ONNX exports of LightGlue run all 9 layers on all points every time).

Graphs are written by `lightglue-vo export-onnx` into `<weights cache>/onnx/`, or on first use when missing. On a
CUDA device the TensorRT or CUDA execution provider runs them (whichever the installed onnxruntime has), else the
CPU one. The graphs are fp32; ONNX Runtime runs them in fp32 on every provider except TensorRT with fp16 precision.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Optional, Union

import torch

from .aliked import ALIKED
from .extractor import check_image
from .lightglue import LightGlue
from .weights import default_cache_dir

OPSET = 17
# Part of every file name: bump when the exported code changes, so that stale graphs are not loaded.
GRAPH_VERSION = 1


def fingerprint(module: torch.nn.Module) -> str:
    """Short hash of a module's weights: graphs of other weights (a fine-tuned checkpoint) get other files."""
    digest = hashlib.sha1()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:10]


def onnx_dir(cache_dir: Union[str, Path, None] = None) -> Path:
    return (Path(cache_dir).expanduser() if cache_dir else default_cache_dir()) / "onnx"


def providers(device: torch.device, precision: str = "fp32") -> list:
    """ONNX Runtime execution providers for a torch device, best first, among those this onnxruntime has."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    chosen = []
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        if "TensorrtExecutionProvider" in available:
            chosen.append(("TensorrtExecutionProvider", {
                "device_id": index, "trt_fp16_enable": precision == "fp16",
                "trt_engine_cache_enable": True, "trt_engine_cache_path": str(onnx_dir() / "tensorrt")}))
        if "CUDAExecutionProvider" in available:
            chosen.append(("CUDAExecutionProvider", {"device_id": index}))
        if not chosen:
            warnings.warn(f"onnxruntime {ort.__version__} has no CUDA provider (install onnxruntime-gpu): "
                          f"the graphs run on the CPU", stacklevel=3)
    return chosen + ["CPUExecutionProvider"]


class Graph:
    """One exported graph in an ONNX Runtime session; torch tensors in and out (on the caller's device)."""

    def __init__(self, path: Path, export, device: torch.device, precision: str = "fp32"):
        import onnxruntime as ort

        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.partial")  # several processes may build it at once
            export(partial)
            partial.replace(path)  # atomic: a crash never leaves a truncated graph under the final name
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # as PyTorch: one thread per core by default
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Each session has its own thread pool; spinning workers of one would steal the cores from the next
        # graph (LightGlue runs a dozen per match) and from PyTorch.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=providers(device, precision))
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.path = path
        self.device = device

    def __call__(self, *tensors: torch.Tensor) -> list:
        feed = {name: t.detach().float().contiguous().cpu().numpy() for name, t in zip(self.inputs, tensors)}
        return [torch.from_numpy(out).to(self.device) for out in self.session.run(None, feed)]


def export(owner: torch.nn.Module, method: str, args: tuple, path: Path, inputs: list, outputs: list,
           dynamic: Optional[dict] = None) -> None:
    """`owner.<method>(*args)` → an ONNX file (the TorchScript exporter: no extra dependency)."""
    class Step(torch.nn.Module):
        """The one method as a module's forward, which is what the exporter traces."""

        def __init__(self):
            super().__init__()
            self.owner = owner

        def forward(self, *x):
            return getattr(self.owner, method)(*x)

    training = owner.training
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings: shapes that become constants are fixed per graph
        torch.onnx.export(Step().eval(), args, str(path), dynamo=False, opset_version=OPSET, input_names=inputs,
                          output_names=outputs, dynamic_axes=dynamic or {}, do_constant_folding=True)
    owner.train(training)  # the exporter restores the wrapper's mode recursively


class OnnxALIKED(torch.nn.Module):
    """ALIKED whose dense network runs in ONNX Runtime (one graph per image size); the rest is `ALIKED.sparse`."""

    def __init__(self, model: ALIKED, device: torch.device, cache_dir=None, precision: str = "fp32"):
        super().__init__()
        self.model, self.device, self.precision = model, device, precision
        self.required_channels = model.required_channels
        self.directory = onnx_dir(cache_dir)
        self.weights_id = fingerprint(model)
        self.graphs = {}

    def graph_path(self, width: int, height: int) -> Path:
        return self.directory / f"{self.model.conf['model_name']}_{width}x{height}_v{GRAPH_VERSION}_" \
                                f"{self.weights_id}.onnx"

    def graph(self, width: int, height: int) -> Graph:
        if (width, height) not in self.graphs:
            example = torch.zeros(1, 3, height, width)
            self.graphs[width, height] = Graph(
                self.graph_path(width, height),
                lambda path: export(self.model.cpu(), "dense_maps", (example,), path, ["image"],
                                    ["scores", "level1", "level2", "level3", "level4"]),
                self.device, self.precision)
            self.model.to(self.device)
        return self.graphs[width, height]

    @torch.inference_mode()
    def forward(self, data: dict) -> dict:
        image = check_image(data, "ALIKED")
        if image.shape[1] == 1:
            image = image.expand(-1, 3, -1, -1)
        scores, *levels = self.graph(image.shape[-1], image.shape[-2])(image)
        return self.model.sparse(scores, levels)


class OnnxLightGlue(LightGlue):
    """LightGlue whose learnt steps run in ONNX Runtime, one graph per step and layer.

    The early-stopping and pruning decisions between them are LightGlue's own.
    """

    def __init__(self, features: str = "aliked", conf: Optional[dict] = None, weights=None, cache_dir=None,
                 device: Union[str, torch.device] = "cpu"):
        super().__init__(features, conf, weights)
        self.directory = onnx_dir(cache_dir) / f"{features}_lightglue_v{GRAPH_VERSION}_{fingerprint(self)}"
        self.ort_device = torch.device(device)
        self.graphs = {}

    def graph_files(self) -> dict:
        """Every graph's name → (method, example args, inputs, outputs, dynamic axes)."""
        dim, heads, layers = self.conf["descriptor_dim"], self.conf["num_heads"], self.conf["n_layers"]
        head_dim = dim // heads
        n0, n1 = 24, 20  # example counts: the keypoint axes are dynamic
        desc = lambda n: torch.randn(1, n, dim)  # noqa: E731
        rotary = lambda n: torch.randn(2, 1, 1, n, head_dim)  # noqa: E731
        projected = lambda n: torch.randn(1, heads, n, head_dim)  # noqa: E731
        points = {"desc0": {1: "n0"}, "desc1": {1: "n1"}, "rotary0": {3: "n0"}, "rotary1": {3: "n1"},
                  "qk0": {2: "n0"}, "v0": {2: "n0"}, "qk1": {2: "n1"}, "v1": {2: "n1"},
                  "out0": {1: "n0"}, "out1": {1: "n1"}}
        files = {"encode": ("_torch_encode", (torch.rand(1, n0, 2) * 2 - 1, torch.randn(1, n0, self.input_dim)),
                            ["positions", "descriptors"], ["desc", "rotary", "qk", "v"],
                            {"positions": {1: "n"}, "descriptors": {1: "n"}, "desc": {1: "n"}, "rotary": {3: "n"},
                             "qk": {2: "n"}, "v": {2: "n"}})}
        for layer in range(layers):
            if layer == 0:
                files["layer0"] = ("_layer0", (desc(n0), desc(n1), projected(n0), projected(n0), projected(n1),
                                               projected(n1)), ["desc0", "desc1", "qk0", "v0", "qk1", "v1"],
                                   ["out0", "out1"], points)
            else:
                files[f"layer{layer}"] = ("_layer_n", (torch.tensor(layer), desc(n0), desc(n1), rotary(n0),
                                                       rotary(n1)), ["layer", "desc0", "desc1", "rotary0",
                                                                     "rotary1"], ["out0", "out1"], points)
            if layer < layers - 1:
                files[f"heads{layer}"] = ("_heads_n", (torch.tensor(layer), desc(n0)), ["layer", "desc0"],
                                          ["token", "matchable"], {"desc0": {1: "n"}, "token": {1: "n"},
                                                                   "matchable": {1: "n"}})
            files[f"similarity{layer}"] = ("_similarity_n", (torch.tensor(layer), desc(n0), desc(n1)),
                                           ["layer", "desc0", "desc1"], ["sim", "z0", "z1"],
                                           {"desc0": {1: "n0"}, "desc1": {1: "n1"}, "sim": {1: "n0", 2: "n1"},
                                            "z0": {1: "n0"}, "z1": {1: "n1"}})
        return files

    def graph(self, name: str) -> Graph:
        if name not in self.graphs:
            method, args, inputs, outputs, dynamic = self.graph_files()[name]
            self.graphs[name] = Graph(self.directory / f"{name}.onnx",
                                      lambda path: self._export(method, args, path, inputs, outputs, dynamic),
                                      self.ort_device)
        return self.graphs[name]

    def export_all(self) -> list:
        """Write every missing graph; the paths."""
        return [self.graph(name).path for name in self.graph_files()]

    def _export(self, method, args, path, inputs, outputs, dynamic):
        device = next(self.parameters()).device
        self.cpu()
        try:
            if args and args[0].ndim == 0:  # the layer index selects the weights: a constant of the graph
                layer = int(args[0])
                bound = getattr(self, method)
                setattr(self, "_export_step", lambda *x: bound(layer, *x))
                export(self, "_export_step", args[1:], path, inputs[1:], outputs,
                       {k: v for k, v in dynamic.items() if k != "layer"})
            else:
                export(self, method, args, path, inputs, outputs, dynamic)
        finally:
            self.to(device)

    # The PyTorch steps, as exported.
    def _torch_encode(self, positions, descriptors):
        return LightGlue._encode(self, positions, descriptors)

    def _layer0(self, desc0, desc1, qk0, v0, qk1, v1):
        return LightGlue._layer(self, 0, desc0, desc1, None, None, (qk0, v0), (qk1, v1))

    def _layer_n(self, layer, desc0, desc1, rotary0, rotary1):
        return LightGlue._layer(self, layer, desc0, desc1, rotary0, rotary1, None, None)

    def _heads_n(self, layer, desc):
        return LightGlue._heads(self, layer, desc)

    def _similarity_n(self, layer, desc0, desc1):
        return LightGlue._similarity(self, layer, desc0, desc1)

    # The same steps in ONNX Runtime (what LightGlue._match calls).
    def _encode(self, positions, descriptors):
        desc, rotary, qk, v = self.graph("encode")(positions, descriptors)
        return desc, rotary, (qk, v)

    def _layer(self, layer, desc0, desc1, rotary0, rotary1, projected0, projected1):
        if layer == 0:
            return tuple(self.graph("layer0")(desc0, desc1, *projected0, *projected1))
        return tuple(self.graph(f"layer{layer}")(desc0, desc1, rotary0, rotary1))

    def _heads(self, layer, desc):
        return tuple(self.graph(f"heads{layer}")(desc))

    def _similarity(self, layer, desc0, desc1):
        return tuple(self.graph(f"similarity{layer}")(desc0, desc1))
