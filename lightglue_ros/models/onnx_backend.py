# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The onnxruntime backend: our PyTorch models exported to ONNX graphs, run by ONNX Runtime.

- ALIKED: its dense network (`ALIKED.dense_maps`: backbone, aggregation scales, score head) is one graph per
  working image size (a camera has one); keypoint selection and the SDDH descriptors stay in PyTorch.
- LightGlue: one graph per learnt step (`LightGlue._encode`, `_layer`, `_heads`, `_similarity`; dynamic keypoint
  counts), so the confidence and pruning decisions between the layers still run: adaptive depth and width work as
  in PyTorch (public ONNX exports of LightGlue run all 9 layers on all points every time).

Graphs are written by `lightglue-vo export-onnx` into `<weights cache>/onnx/`, or on first use when missing (a
read-only cache gets them in a writable fallback directory, with a warning). `FeatureMatcher.warmup` creates every
session, so none is exported or loaded on a live frame.

Sessions (27 for LightGlue, one per working size for ALIKED) share one CPU memory arena, registered in the
onnxruntime environment (`default_conf`), instead of an arena each that grows to its graph's own peak (their sum
was most of the node's memory). Inputs and outputs are bound to torch tensors in place (IO binding): on CUDA they
stay on the GPU between the per-layer graphs, and ONNX Runtime runs on torch's CUDA stream.

Providers: on a CUDA device TensorRT (when the installed onnxruntime has it), then CUDA, then the CPU. The provider
each session actually got is checked: a CUDA device without onnxruntime-gpu, or a GPU provider that failed to load
(a CUDA / cuDNN mismatch makes onnxruntime fall back to the CPU silently) raises `ProviderError`; TensorRT falling
back to CUDA is a warning. TensorRT gets optimisation profiles over the keypoint range (1 .. max_keypoints, so no
engine is rebuilt when the count changes), an engine and timing cache under `<weights cache>/onnx/tensorrt`, and
fp16 with precision fp16 (LightGlue's graphs too). The graphs themselves are fp32: every other provider runs fp32.
The TensorRT and CUDA paths are written from onnxruntime's documentation and have not run here (no GPU):
`bench/device_check.sh` checks them on a GPU machine.
"""
from __future__ import annotations

import copy
import gc
import hashlib
import os
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Optional, Union

import numpy as np
import torch

from .aliked import ALIKED
from .extractor import check_image
from .lightglue import EncodedImage, LightGlue
from .superpoint import non_maximum_suppression
from .weights import default_cache_dir

OPSET = 17
# Part of every file name: bump when the exported code changes, so that stale graphs are not loaded.
GRAPH_VERSION = 1
ALIKED_GRAPH_VERSION = 2  # 2: the non-maximum suppression in the graph

# How every session of the process is set up. The environment part (threads, arena) is process-wide: it is set by
# the first session and holds for all (a later different conf warns).
default_conf = {
    # "session": a pool per session (torch.get_num_threads() threads each), whose workers never spin; "shared": one
    # pool for all sessions (onnxruntime's global pool), whose workers spin between ops (onnxruntime's Python API
    # cannot turn that off): measured 1.6x the CPU time per frame (bench/memory.py, KITTI 04, 2 cores) for no
    # memory saved (idle threads hold little), hence per session.
    "threads": "session",
    # Intra-op threads of each session ("session" threads): 0 is torch.get_num_threads(). With 1 a session runs on
    # its caller's thread alone (no pool), at that thread's OS priority: the SLAM backend's matcher (`worker_copy`).
    "intra_op_threads": 0,
    # "shared": one CPU arena, registered in the environment, for all sessions; "session": an arena each, each grown
    # to its graph's largest input; "off": plain malloc / free.
    "arena": "shared",
    # The shared arena grows by what is asked, not to the next power of two (less memory held, as many allocations).
    "arena_extend": "requested",
    # Buffers pre-planned per input shape: the keypoint counts change every frame, so the plan rarely applies.
    "mem_pattern": False,
    # Inputs and outputs bound to torch tensors in place (no copy; on CUDA no trip through the host).
    "io_binding": True,
}
# Measured and left out (bench/memory.py, KITTI 04): "session.disable_prepacking" saves 15 MB for 20 % more CPU
# time; the run option "memory.enable_memory_arena_shrinkage" frees the arena after each run, and RSS doubles
# (the freed chunks stay in the C heap, fragmented).

GPU_PROVIDERS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


class ProviderError(RuntimeError):
    """A requested execution provider is missing or did not load: the graphs would silently run elsewhere."""


def fingerprint(module: torch.nn.Module) -> str:
    """Short hash of a module's weights: graphs of other weights (a fine-tuned checkpoint) get other files."""
    digest = hashlib.sha1()
    for name, tensor in module.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:10]


def onnx_dir(cache_dir: Union[str, Path, None] = None) -> Path:
    return (Path(cache_dir).expanduser() if cache_dir else default_cache_dir()) / "onnx"


def fallback_dir() -> Path:
    """Where graphs go when the weight cache is read-only: per user, under the temporary directory."""
    return Path(tempfile.gettempdir()) / f"lightglue_ros-{os.getuid()}" / "onnx"


def writable(directory: Path) -> bool:
    """Whether files can be created in `directory` (made if missing); a probe file, as root ignores modes."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def locate(root: Path, relative: Path, export) -> Path:
    """The graph `root / relative`, exported there when missing; under `fallback_dir()` when `root` is read-only.

    A clear error when neither can be written.
    """
    for base in (root, fallback_dir()):
        if (base / relative).exists():
            return base / relative
    for base in (root, fallback_dir()):
        path = base / relative
        if not writable(path.parent):
            continue
        if base != root:
            warnings.warn(f"weight cache {root} is read-only: exporting {relative} to {base} (write the graphs "
                          f"ahead of time: lightglue-vo export-onnx --cache-dir {root.parent} --size WxH)",
                          stacklevel=3)
        partial = path.with_suffix(f".{os.getpid()}.partial")  # several processes may build it at once
        export(partial)
        partial.replace(path)  # atomic: a crash never leaves a truncated graph under the final name
        return path
    raise PermissionError(f"graph {relative} is not in the weight cache {root}, which is read-only, and the fallback "
                          f"{fallback_dir()} is not writable either: export the graphs ahead of time with "
                          f"`lightglue-vo export-onnx --cache-dir {root.parent} --size WxH` (WxH: the working size), "
                          f"or set weights_dir to a writable directory")


_environment = {}  # the process-wide part of the conf, once set up
_environment_lock = threading.Lock()


def environment(conf: dict) -> None:
    """Set up the process-wide thread pool and arena of `conf` once (before the first session that uses them)."""
    import onnxruntime as ort

    wanted = {"threads": conf["threads"], "arena": conf["arena"], "arena_extend": conf["arena_extend"]}
    with _environment_lock:
        if _environment:
            if _environment != wanted:
                warnings.warn(f"onnxruntime environment already set up as {_environment}; {wanted} ignored",
                              stacklevel=3)
            return
        # A forked child (multiprocessing, flake8's workers) has none of the sessions' pool threads: if its garbage
        # collector destroys a session left in a reference cycle, the pool's destructor waits for them forever.
        # So the parent collects before forking, and the child never collects what it inherited.
        os.register_at_fork(before=gc.collect, after_in_child=gc.freeze)
        if wanted["threads"] == "shared":
            try:
                ort.set_global_thread_pool_sizes(torch.get_num_threads(), 1)
            except Exception as error:  # noqa: BLE001  (onnxruntime raises its own Fail type)
                if "already been created" not in str(error):  # set up by someone else: shared all the same
                    raise
        if wanted["arena"] == "shared":
            memory = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
            extend = {"requested": 1, "power_of_two": 0}[wanted["arena_extend"]]
            ort.create_and_register_allocator(memory, ort.OrtArenaCfg(
                {"max_mem": 0, "arena_extend_strategy": extend, "initial_chunk_size_bytes": 1 << 20,
                 "max_dead_bytes_per_chunk": 1 << 20}))
        _environment.update(wanted)


def session_options(conf: dict):
    import onnxruntime as ort

    environment(conf)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_mem_pattern = conf["mem_pattern"]
    if conf["threads"] == "shared":
        options.use_per_session_threads = False
    else:
        # As PyTorch by default: one thread per core.
        options.intra_op_num_threads = conf["intra_op_threads"] or torch.get_num_threads()
        # Spinning workers of one pool would steal the cores from the next graph and from PyTorch.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    if conf["arena"] == "shared":
        options.add_session_config_entry("session.use_env_allocators", "1")
    options.enable_cpu_mem_arena = conf["arena"] == "session"
    return options


def providers(device: torch.device, precision: str = "fp32", cache: Optional[Path] = None,
              profile: Optional[dict] = None) -> list:
    """ONNX Runtime execution providers for a torch device, best first: (name, options) or a name.

    `profile`: TensorRT's optimisation profile, input name -> (min, opt, max) shapes. A CUDA device needs a GPU
    provider in the installed onnxruntime (onnxruntime-gpu): `ProviderError` otherwise.
    """
    import onnxruntime as ort

    if device.type != "cuda":
        return ["CPUExecutionProvider"]
    available = ort.get_available_providers()
    if not set(GPU_PROVIDERS) & set(available):
        raise ProviderError(f"device {device} requested with backend onnxruntime, but onnxruntime "
                            f"{ort.__version__} has no CUDA provider (available: {', '.join(available)}): install "
                            f"onnxruntime-gpu (README: GPU and Jetson install), or use backend torch or device cpu")
    index = device.index if device.index is not None else torch.cuda.current_device() \
        if torch.cuda.is_available() else 0
    # ONNX Runtime runs on torch's stream: inputs bound from torch are ready, outputs are ready for torch.
    stream = {}
    if torch.cuda.is_available():
        stream = {"has_user_compute_stream": "1",
                  "user_compute_stream": str(torch.cuda.current_stream(index).cuda_stream)}
    chosen = []
    if "TensorrtExecutionProvider" in available:
        trt_cache = (cache or onnx_dir()) / "tensorrt"  # engines built once per graph and profile, then loaded
        if not writable(trt_cache):
            trt_cache = fallback_dir() / "tensorrt"
        trt_cache = str(trt_cache)
        options = {"device_id": index, "trt_fp16_enable": precision == "fp16",
                   "trt_engine_cache_enable": True, "trt_engine_cache_path": trt_cache,
                   "trt_timing_cache_enable": True, "trt_timing_cache_path": trt_cache, **stream}
        if profile:
            for i, key in enumerate(("trt_profile_min_shapes", "trt_profile_opt_shapes", "trt_profile_max_shapes")):
                options[key] = ",".join(f"{name}:{'x'.join(str(d) for d in shapes[i])}"
                                        for name, shapes in profile.items())
        chosen.append(("TensorrtExecutionProvider", options))
    if "CUDAExecutionProvider" in available:
        chosen.append(("CUDAExecutionProvider", {"device_id": index, **stream}))
    return chosen + ["CPUExecutionProvider"]


def check_provider(session, requested: list, path: Path) -> str:
    """The provider the session runs on; `ProviderError` when a GPU one was requested and it got the CPU."""
    got = session.get_providers()
    names = [p[0] if isinstance(p, tuple) else p for p in requested]
    if names[0] in GPU_PROVIDERS and got[0] not in GPU_PROVIDERS:
        raise ProviderError(f"{path.name}: requested {' > '.join(names)} but onnxruntime loaded only {got} (a CUDA "
                            f"/ cuDNN version onnxruntime-gpu was not built for? see onnxruntime's error above); "
                            f"use backend torch or device cpu, or install the matching onnxruntime-gpu")
    if got[0] != names[0]:
        warnings.warn(f"{path.name}: {names[0]} did not load, running on {got[0]}", stacklevel=3)
    return got[0]


class Graph:
    """One exported graph in an ONNX Runtime session; torch tensors in and out (on the caller's device).

    `profile`: TensorRT's optimisation profile (input name -> (min, opt, max) shapes).
    """

    def __init__(self, path: Path, device: torch.device, precision: str = "fp32", profile: Optional[dict] = None,
                 conf: Optional[dict] = None, cache: Optional[Path] = None):
        import onnxruntime as ort

        self.conf = {**default_conf, **(conf or {})}
        self.path, self.device = path, device
        requested = providers(device, precision, cache, profile)
        self.session = ort.InferenceSession(str(path), session_options(self.conf), providers=requested)
        self.provider = check_provider(self.session, requested, path)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.outputs = [(o.name, o.shape) for o in self.session.get_outputs()]
        symbols = {d for i in self.session.get_inputs() for d in i.shape if isinstance(d, str)}
        unknown = {d for _, shape in self.outputs for d in shape if not isinstance(d, int) and d not in symbols}
        if unknown:  # IO binding allocates the outputs from the input sizes
            raise ValueError(f"{path}: output sizes {sorted(unknown)} are not input sizes; re-export the graph")
        self.device_type = "cuda" if device.type == "cuda" else "cpu"
        self.device_id = (device.index or 0) if device.type == "cuda" else 0

    def __call__(self, *tensors: torch.Tensor) -> list:
        if self.conf["io_binding"]:
            return self.run_bound(tensors)
        feed = {name: t.detach().float().contiguous().cpu().numpy() for name, t in zip(self.inputs, tensors)}
        return [torch.from_numpy(out).to(self.device) for out in self.session.run(None, feed)]

    def run_bound(self, tensors) -> list:
        """The tensors bound in place as inputs, outputs allocated by torch on the device and bound likewise."""
        binding = self.session.io_binding()
        sizes, keep = {}, []
        for name, tensor, meta in zip(self.inputs, tensors, self.session.get_inputs()):
            tensor = tensor.detach().to(self.device, torch.float32).contiguous()
            keep.append(tensor)  # alive until the run is over
            sizes.update((d, n) for d, n in zip(meta.shape, tensor.shape) if isinstance(d, str))
            binding.bind_input(name, self.device_type, self.device_id, np.float32, tuple(tensor.shape),
                               tensor.data_ptr())
        outputs = []
        for name, shape in self.outputs:
            out = torch.empty([sizes.get(d, d) for d in shape], dtype=torch.float32, device=self.device)
            binding.bind_output(name, self.device_type, self.device_id, np.float32, tuple(out.shape),
                                out.data_ptr())
            outputs.append(out)
        self.session.run_with_iobinding(binding)
        return outputs


def export(owner: torch.nn.Module, method: str, args: tuple, path: Path, inputs: list, outputs: list,
           dynamic: Optional[dict] = None) -> None:
    """Export `owner.<method>(*args)` → an ONNX file (the TorchScript exporter: no extra dependency)."""
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

    def __init__(self, model: ALIKED, device: torch.device, cache_dir=None, precision: str = "fp32",
                 conf: Optional[dict] = None):
        super().__init__()
        self.model, self.device, self.precision, self.conf = model, device, precision, conf
        self.required_channels = model.required_channels
        self.directory = onnx_dir(cache_dir)
        self.weights_id = fingerprint(model)
        self.graphs = {}
        self.live = False  # set once warmed up: a graph made after that is made on a live frame (warned)

    def graph_name(self, width: int, height: int) -> str:
        return f"{self.model.conf['model_name']}_{width}x{height}_v{ALIKED_GRAPH_VERSION}_{self.weights_id}.onnx"

    def graph_path(self, width: int, height: int) -> Path:
        """Where the graph of this size is or would be written in the weight cache."""
        return self.directory / self.graph_name(width, height)

    def graph(self, width: int, height: int) -> Graph:
        if (width, height) not in self.graphs:
            if self.live:
                warnings.warn(f"ALIKED graph for working size {width}x{height} made on a live frame (seconds): "
                              f"warm up at the camera's size (vo_node: warmup_size)", stacklevel=3)
            example = torch.zeros(1, 3, height, width)

            def write(path):
                model = DenseWithMaxima(self.model).cpu()
                export(model, "forward", (example,), path, ["image"],
                       ["scores", "maxima", "level1", "level2", "level3", "level4"])
                self.model.to(self.device)

            path = locate(self.directory, Path(self.graph_name(width, height)), write)
            self.graphs[width, height] = Graph(path, self.device, self.precision,
                                               {"image": ((1, 3, height, width),) * 3}, self.conf, self.directory)
        return self.graphs[width, height]

    @torch.inference_mode()
    def forward(self, data: dict) -> dict:
        image = check_image(data, "ALIKED")
        if image.shape[1] == 1:
            image = image.expand(-1, 3, -1, -1)
        scores, maxima, *levels = self.graph(image.shape[-1], image.shape[-2])(image)
        return self.model.sparse(scores, levels, maxima)


class DenseWithMaxima(torch.nn.Module):
    """What the ALIKED graph computes: `ALIKED.dense_maps` and the score maps' non-maximum suppression.

    The suppression is `superpoint.non_maximum_suppression` with max-pooling as one MaxPool operator (the separable
    maxima there are fast in eager PyTorch only): onnxruntime's kernel is several times faster on a CPU, and the
    result is the same (a maximum is exact).
    """

    def __init__(self, model: ALIKED):
        super().__init__()
        self.model = model

    def forward(self, image):
        scores, *levels = self.model.dense_maps(image)
        return (scores, non_maximum_suppression(scores, self.model.conf["nms_radius"], pool_for_export), *levels)


def pool_for_export(x: torch.Tensor, radius: int) -> torch.Tensor:
    """`superpoint.separable_max_pool` as `max_pool2d`, which exports as one MaxPool."""
    return torch.nn.functional.max_pool2d(x[:, None], 2 * radius + 1, stride=1, padding=radius)[:, 0]


class OnnxLightGlue(LightGlue):
    """LightGlue whose learnt steps run in ONNX Runtime, one graph per step and layer.

    The early-stopping and pruning decisions between them are LightGlue's own. `max_keypoints` bounds TensorRT's
    optimisation profiles (keypoint counts from 1 to it).
    """

    def __init__(self, features: str = "aliked", conf: Optional[dict] = None, weights=None, cache_dir=None,
                 device: Union[str, torch.device] = "cpu", max_keypoints: int = 2048,
                 session_conf: Optional[dict] = None):
        super().__init__(features, conf, weights)
        self.root = onnx_dir(cache_dir)
        self.relative = Path(f"{features}_lightglue_v{GRAPH_VERSION}_{fingerprint(self)}")
        self.directory = self.root / self.relative
        self.ort_device = torch.device(device)
        self.max_keypoints = max_keypoints
        self.session_conf = session_conf
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

    def worker_copy(self, threads: int) -> "OnnxLightGlue":
        """This LightGlue (same graph files and weights) with sessions of its own on `threads` intra-op threads.

        Its sessions are made on first use, as this one's.
        """
        twin = copy.copy(self)
        twin.session_conf = {**(self.session_conf or {}), "intra_op_threads": threads}
        twin.graphs = {}
        return twin

    def graph(self, name: str) -> Graph:
        if name not in self.graphs:
            method, args, inputs, outputs, dynamic = self.graph_files()[name]
            path = locate(self.root, self.relative / f"{name}.onnx",
                          lambda path: self._export(method, args, path, inputs, outputs, dynamic))
            self.graphs[name] = Graph(path, self.ort_device, self.conf["precision"],
                                      self.profile(args, inputs, dynamic), self.session_conf, self.root)
        return self.graphs[name]

    def profile(self, args, inputs, dynamic) -> dict:
        """The TensorRT optimisation profile of a graph: keypoint axes from 1 to max_keypoints (opt: the max)."""
        if args and args[0].ndim == 0:  # the layer index is a constant of the graph, not an input
            args, inputs = args[1:], inputs[1:]
        shapes = {}
        for name, example in zip(inputs, args):
            axes = dynamic.get(name, {})
            shapes[name] = tuple(tuple(bound if axis in axes else size for axis, size in enumerate(example.shape))
                                 for bound in (1, self.max_keypoints, self.max_keypoints))
        return shapes

    def export_all(self) -> list:
        """Write every missing graph and create its session (at configure, not on a live frame); the paths.

        The sessions hold the weights from then on: PyTorch's copy is released (about 45 MB).
        """
        paths = [self.graph(name).path for name in self.graph_files()]
        for parameter in self.parameters():
            parameter.data = parameter.data.new_empty(0)
        self.released = True
        return paths

    @torch.inference_mode()
    def encode(self, keypoints: torch.Tensor, descriptors: torch.Tensor, image_size) -> EncodedImage:
        if keypoints.shape[1] == 0 and getattr(self, "released", False):  # LightGlue.encode's torch path, by shape
            dim, heads = self.conf["descriptor_dim"], self.conf["num_heads"]
            batch = len(keypoints)
            return EncodedImage(0, descriptors.new_zeros(batch, 0, dim),
                                descriptors.new_zeros(2, batch, 1, 0, dim // heads), (None, None))
        return LightGlue.encode(self, keypoints, descriptors, image_size)

    def _export(self, method, args, path, inputs, outputs, dynamic):
        if getattr(self, "released", False):
            raise RuntimeError(f"{path.name}: the PyTorch weights were released after export_all; make a new "
                               f"OnnxLightGlue to export")
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
