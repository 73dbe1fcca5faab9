# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The onnxruntime backend against our PyTorch models on real pairs.

The same keypoints (1e-3 px), >= 99 % identical matches, the same LightGlue stop layer and pruning; graphs built on
first use into the cache.
"""
import cv2
import pytest
import torch

from lightglue_ros.models.matching import FeatureMatcher, select_backend
from lightglue_ros.models.onnx_backend import onnx_dir, providers

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
    import onnxruntime
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        with pytest.warns(UserWarning, match="no CUDA provider"):
            assert providers(torch.device("cuda:1")) == ["CPUExecutionProvider"]
    else:
        chosen = providers(torch.device("cuda:1"))
        assert ("CUDAExecutionProvider", {"device_id": 1}) in chosen and chosen[-1] == "CPUExecutionProvider"
