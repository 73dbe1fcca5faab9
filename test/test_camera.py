# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Camera model: validation, CameraInfo construction, undistortion round trips for each distortion model."""
import numpy as np
import pytest

from lightglue_ros.vo.camera import CameraModel

LENSES = {
    "none": ("none", ()),
    "plumb_bob": ("plumb_bob", (-0.28, 0.07, 0.001, -0.0005, 0.0)),
    "plumb_bob_4": ("plumb_bob", (0.1, -0.05, 0.0, 0.0)),
    "rational_polynomial": ("rational_polynomial", (0.8, 0.2, 0.0005, -0.0003, 0.01, 1.1, 0.35, 0.03)),
    "equidistant": ("equidistant", (0.05, -0.01, 0.003, -0.0005)),
}


def grid(camera, margin=20, step=25):
    u, v = np.meshgrid(np.arange(margin, camera.width - margin, step),
                       np.arange(margin, camera.height - margin, step))
    return np.stack([u.ravel(), v.ravel()], axis=1).astype(np.float64)


@pytest.mark.parametrize("lens", sorted(LENSES))
def test_undistort_distort_round_trip(lens):
    model, D = LENSES[lens]
    camera = CameraModel(400.0, 405.0, 319.5, 239.5, 640, 480, model, D)
    pixels = grid(camera)
    normalized = camera.undistort_points(pixels)
    np.testing.assert_allclose(camera.distort_points(normalized), pixels, atol=1e-4)
    if camera.is_distorted:
        # Distortion moves points: the ideal pinhole mapping differs away from the centre.
        pinhole = (pixels - [camera.cx, camera.cy]) / [camera.fx, camera.fy]
        assert np.abs(normalized - pinhole).max() * camera.fx > 1.0


def test_pinhole_undistort_is_exact():
    camera = CameraModel(535.4, 539.2, 320.1, 247.6, 640, 480)
    np.testing.assert_allclose(camera.undistort_points([[320.1, 247.6], [855.5, 786.8]]), [[0, 0], [1, 1]])
    assert camera.undistort_points(np.zeros((0, 2))).shape == (0, 2)
    np.testing.assert_allclose(camera.K, [[535.4, 0, 320.1], [0, 539.2, 247.6], [0, 0, 1]])


def test_from_camera_info():
    camera = CameraModel.from_camera_info([500, 0, 320, 0, 510, 240, 0, 0, 1], [0.1, 0, 0, 0, 0], "plumb_bob",
                                          640, 480)
    assert camera.parameters == (500, 510, 320, 240, 640, 480, "plumb_bob", (0.1, 0, 0, 0, 0))
    assert camera.is_distorted


@pytest.mark.parametrize("kwargs, message", [
    (dict(fx=0.0), "focal lengths must be positive"),
    (dict(fx=float("nan")), "finite"),
    (dict(width=0), "positive integer"),
    (dict(height=480.5), "positive integer"),
    (dict(distortion_model="kannala"), "not supported"),
    (dict(D=(0.1, 0.2)), "takes"),
    (dict(distortion_model="equidistant", D=(0.1, 0.2, 0.3, 0.4, 0.5)), "takes"),
    (dict(D=(0.1, float("inf"), 0, 0, 0)), "finite"),
])
def test_bad_intrinsics_are_value_errors(kwargs, message):
    args = dict(fx=500.0, fy=500.0, cx=320.0, cy=240.0, width=640, height=480, distortion_model="plumb_bob", D=())
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        CameraModel(**args)
    with pytest.raises(ValueError, match="9 entries"):
        CameraModel.from_camera_info([1, 2, 3], [], "plumb_bob", 640, 480)


def test_camera_info_binning_roi_and_rectified():
    """A CameraInfo's binning and region of interest map the sensor calibration onto the image.

    image_geometry's convention: image pixel u is sensor pixel u * binning + offset. Rectified images use P without
    distortion.
    """
    K, D = [500.0, 0, 320, 0, 510, 240, 0, 0, 1], [-0.3, 0.1, 0.001, 0.002, 0.0]
    P = [450.0, 0, 300, 0, 0, 460, 230, 0, 0, 0, 1, 0]
    full = CameraModel.from_camera_info(K, D, "plumb_bob", 640, 480, P=P)
    binned = CameraModel.from_camera_info(K, D, "plumb_bob", 640, 480, P=P, binning=(2, 2), roi=(100, 60, 400, 300))
    assert (binned.width, binned.height) == (200, 150)
    pixels = np.array([[0.0, 0.0], [57.0, 91.5], [199.0, 149.0]])
    assert np.allclose(binned.undistort_points(pixels), full.undistort_points(pixels * 2 + [100, 60]), atol=1e-9)
    rectified = CameraModel.from_camera_info(K, D, "plumb_bob", 640, 480, P=P, rectified=True)
    assert (rectified.fx, rectified.fy, rectified.cx, rectified.cy) == (450, 460, 300, 230)
    assert not rectified.is_distorted
    with pytest.raises(ValueError, match="P"):
        CameraModel.from_camera_info(K, D, "plumb_bob", 640, 480, P=[0.0] * 12, rectified=True)
    with pytest.raises(ValueError, match="region of interest"):
        CameraModel.from_camera_info(K, D, "plumb_bob", 640, 480, P=P, rectified=True, roi=(10, 0, 320, 240))
