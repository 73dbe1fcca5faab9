# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The onnxruntime backend against our PyTorch models on real pairs.

The same keypoints (1e-3 px), >= 99 % identical matches, the same LightGlue stop layer and pruning; graphs built on
first use into the cache.
"""
import cv2
import numpy as np
import pytest
import torch

from lightglue_ros.models.matching import FeatureMatcher, Features, select_backend
from lightglue_ros.models.onnx_backend import GPU_PROVIDERS, Graph, OnnxALIKED, ProviderError, check_provider, \
    fallback_dir, onnx_dir, providers

# An indoor 4:3 pair and a wide driving pair (1241x376), at a small working size to keep the test fast.
FOLDERS = ["tum_fr3_office_17", "kitti01_51/image_0"]
RESIZE = 400


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("weights_cache")


@pytest.fixture(scope="module")
def matchers(cache):
    common = dict(features="aliked", max_keypoints=512, resize=RESIZE, device="cpu", precision="fp32")
    return FeatureMatcher(**common, backend="torch"), \
        FeatureMatcher(**common, backend="onnxruntime", weights_dir=str(cache))


@pytest.mark.parametrize("folder", FOLDERS)
def test_onnxruntime_equals_torch_on_real_pairs(data_dir, cache, matchers, folder):
    files = sorted((data_dir / folder).glob("*.png"))[:2]
    images = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]
    ours, onnx = matchers
    torch_features = [ours.extract(image) for image in images]
    onnx_features = [onnx.extract(image) for image in images]
    for a, b in zip(torch_features, onnx_features):
        assert len(a) == len(b) > 100
        assert (a.keypoints - b.keypoints).abs().max() < 1e-3
        assert (a.descriptors - b.descriptors).abs().max() < 1e-4
    # LightGlue on the same (PyTorch) features, so that only the matcher's backend differs.
    expected = ours.match(*[ours.encode(f) for f in torch_features])
    got = onnx.match(*[onnx.encode(f) for f in torch_features])
    print(f"\n{folder}: {len(expected.matches)} / {len(got.matches)} matches, stop layer {expected.stop_layer} / "
          f"{got.stop_layer}, pruned {expected.pruned} / {got.pruned}")
    assert got.stop_layer == expected.stop_layer
    assert got.pruned == expected.pruned
    same = len({tuple(m) for m in expected.matches} & {tuple(m) for m in got.matches})
    assert same >= 0.99 * max(len(expected.matches), len(got.matches)) and same > 50
    # Built on first use: the extractor's graph for this working size and LightGlue's step graphs.
    width, height = ours.image_tensor(images[0])[0].shape[:-3:-1]
    assert onnx.extractor.graph_path(width, height).exists()
    assert onnx.extractor.graph_path(width, height).parent == onnx_dir(cache)
    assert len(list(onnx_dir(cache).glob("aliked_lightglue_v1_*/*.onnx"))) >= 4


def test_provider_choice():
    assert providers(torch.device("cpu")) == ["CPUExecutionProvider"]
    assert select_backend("auto", torch.device("cpu")) == "onnxruntime"
    assert select_backend("auto", torch.device("cuda:1")) == "torch"
    with pytest.raises(ValueError, match="backend"):
        select_backend("tensorrt", torch.device("cpu"))


def test_a_missing_gpu_provider_is_an_error(matchers):
    """CUDA requested from an onnxruntime without it: ProviderError at session creation (configure).

    Never a silent CPU run; and a session that got the CPU although CUDA was asked for (what onnxruntime does when
    the CUDA provider fails to load) is caught by the check of the provider it actually got.
    """
    import onnxruntime
    path = matchers[1].lightglue.graph("heads0").path
    if GPU_PROVIDERS[1] in onnxruntime.get_available_providers():  # a GPU machine: the chosen list instead
        chosen = providers(torch.device("cuda:0"))
        assert chosen[-2][0] == "CUDAExecutionProvider" and chosen[-1] == "CPUExecutionProvider"
        return
    with pytest.raises(ProviderError, match="no CUDA provider.*onnxruntime-gpu"):
        providers(torch.device("cuda:0"))
    with pytest.raises(ProviderError, match="no CUDA provider"):
        Graph(path, torch.device("cuda"))
    requested = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    with pytest.warns(UserWarning, match="not in available provider"):  # onnxruntime's own, easy to miss
        session = onnxruntime.InferenceSession(str(path), providers=requested)
    assert session.get_providers() == ["CPUExecutionProvider"]
    with pytest.raises(ProviderError, match="loaded only.*CPUExecutionProvider"):
        check_provider(session, requested, path)
    # CPU sessions report the provider they got.
    assert "onnxruntime sessions on CPUExecutionProvider" in matchers[1].runtime()


def test_io_binding_gives_the_plain_path_results(data_dir, cache, matchers):
    """The IO-binding path (torch tensors bound in place; on CPU, CPU tensors) against session.run on numpy."""
    files = sorted((data_dir / "tum_fr3_office_17").glob("*.png"))[2:4]
    images = [cv2.cvtColor(cv2.imread(str(f)), cv2.COLOR_BGR2RGB) for f in files]
    bound = matchers[1]
    plain = FeatureMatcher(features="aliked", max_keypoints=512, resize=RESIZE, device="cpu", precision="fp32",
                           backend="onnxruntime", weights_dir=str(cache), session_conf={"io_binding": False})
    assert bound.lightglue.graph("encode").conf["io_binding"] and not plain.lightglue.graph("encode").conf[
        "io_binding"]
    features = [(bound.extract(i), plain.extract(i)) for i in images]
    for a, b in features:
        assert torch.equal(a.keypoints, b.keypoints) and torch.allclose(a.descriptors, b.descriptors, atol=1e-6)
    got = bound.match(*[bound.encode(a) for a, _ in features])
    expected = plain.match(*[plain.encode(a) for a, _ in features])
    assert len(got.matches) > 100
    assert (got.matches == expected.matches).all() and got.stop_layer == expected.stop_layer
    assert got.pruned == expected.pruned and abs(got.scores - expected.scores).max() < 1e-5


def test_every_session_is_made_at_warmup(data_dir, cache):
    """Warm-up at the camera's size makes all 27 LightGlue sessions and ALIKED's at the working size.

    So no graph is exported or loaded on a live frame; a frame of another size later is warned about.
    """
    matcher = FeatureMatcher(features="aliked", max_keypoints=128, resize=320, device="cpu", precision="fp32",
                             backend="onnxruntime", weights_dir=str(cache))
    matcher.warmup((1241, 376))  # KITTI's size: working size 320x97, not the 640x480 default
    assert len(matcher.lightglue.graphs) == len(matcher.lightglue.graph_files()) == 27
    assert list(matcher.extractor.graphs) == [(320, 97)]
    with pytest.warns(UserWarning, match="ALIKED graph for working size 320x240 made on a live frame"):
        matcher.extract(np.full((480, 640), 128, np.uint8))
    assert "29 onnxruntime sessions" in matcher.runtime()
    # The sessions hold LightGlue's weights: PyTorch's copy is gone, and an image without keypoints still matches.
    assert sum(p.numel() for p in matcher.lightglue.parameters()) == 0
    features = matcher.extract(cv2.imread(str(sorted((data_dir / FOLDERS[1]).glob("*.png"))[0]), cv2.IMREAD_GRAYSCALE))
    empty = Features(features.keypoints[:0], features.scores[:0], features.descriptors[:0], (1241, 376))
    assert len(features) > 50
    assert len(matcher.match(matcher.encode(empty), matcher.encode(features)).matches) == 0
    assert len(matcher.match(matcher.encode(features), matcher.encode(features)).matches) > 0.9 * len(features)


def test_a_read_only_cache_falls_back_to_a_writable_directory(tmp_path, monkeypatch):
    """Graphs missing from a read-only weight cache go to a per-user temporary directory, with a warning.

    When that cannot be written either, a clear error names both and the export command. (The cache is a path under
    a plain file: read-only for root too, who ignores permission bits.)
    """
    import tempfile

    from lightglue_ros.models.aliked import ALIKED
    blocker = tmp_path / "file"
    blocker.write_text("")
    model = ALIKED({"max_num_keypoints": 64})
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    extractor = OnnxALIKED(model, torch.device("cpu"), blocker / "cache")
    with pytest.warns(UserWarning, match="read-only: exporting .*64x48.* lightglue-vo export-onnx"):
        graph = extractor.graph(64, 48)
    assert graph.path == fallback_dir() / extractor.graph_name(64, 48) and graph.path.exists()
    assert str(tmp_path / "tmp") in str(graph.path)
    assert OnnxALIKED(model, torch.device("cpu"), blocker / "cache").graph(64, 48).path == graph.path  # found there
    monkeypatch.setattr(tempfile, "tempdir", str(blocker / "tmp"))
    with pytest.raises(PermissionError, match="read-only.*not writable either.*lightglue-vo export-onnx"):
        OnnxALIKED(model, torch.device("cpu"), blocker / "cache").graph(64, 48)


def test_tensorrt_profiles_cover_the_keypoint_range(matchers):
    """The TensorRT optimisation profile per graph: keypoint axes from 1 to max_keypoints, the others as exported.

    Written from onnxruntime's TensorRT documentation; TensorRT itself is not installed here.
    """
    lightglue = matchers[1].lightglue
    files = lightglue.graph_files()
    layer = lightglue.profile(*[files["layer3"][i] for i in (1, 2, 4)])
    assert set(layer) == {"desc0", "desc1", "rotary0", "rotary1"}
    assert layer["desc0"] == ((1, 1, 256), (1, 512, 256), (1, 512, 256))
    assert layer["rotary1"] == ((2, 1, 1, 1, 64), (2, 1, 1, 512, 64), (2, 1, 1, 512, 64))
    encode = lightglue.profile(*[files["encode"][i] for i in (1, 2, 4)])
    assert encode["descriptors"] == ((1, 1, 128), (1, 512, 128), (1, 512, 128))
