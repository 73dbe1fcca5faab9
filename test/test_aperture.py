# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Keypoint localisation along the epipolar line: structure tensors, gradient shares, epipolar directions."""
import numpy as np

from lightglue_ros.vo.aperture import epipolar_directions, gradient_share, structure_tensors


def test_gradient_share_tells_an_edge_along_the_direction_from_a_corner():
    image = np.zeros((60, 80), np.uint8)
    image[30:, :] = 200                   # a horizontal edge at y = 29.5 ...
    image[30:, 40:] = 60                  # ... with a vertical edge below it from x = 39.5: a corner at (39.5, 29.5)
    keypoints = np.array([[15.0, 30.0],   # on the horizontal edge
                          [40.0, 30.0],   # at the corner
                          [40.0, 50.0],   # on the vertical edge
                          [60.0, 10.0]])  # flat
    tensors = structure_tensors(np.dstack([image] * 3), keypoints)   # RGB reads the same as mono
    np.testing.assert_allclose(tensors, structure_tensors(image, keypoints))
    along_x = gradient_share(tensors, np.tile([1.0, 0.0], (4, 1)))
    along_y = gradient_share(tensors, np.tile([0.0, -3.0], (4, 1)))  # any length, either sign
    assert along_x[0] < 0.01 and along_y[0] > 0.99     # sliding along a horizontal edge changes nothing
    assert 0.2 < along_x[1] < 0.8 and 0.2 < along_y[1] < 0.8
    assert along_x[2] > 0.99 and along_y[2] < 0.01
    assert along_x[3] == 0.0 and along_y[3] == 0.0      # no gradient: nothing pins it down
    np.testing.assert_allclose(along_x[:3] + along_y[:3], 1.0)
    diagonal = gradient_share(tensors, np.tile([1.0, 1.0], (4, 1)))
    np.testing.assert_allclose(diagonal[0], 0.5, atol=0.01)


def test_keypoints_at_the_image_border_are_sampled_inside_it():
    image = np.random.default_rng(0).integers(0, 255, (20, 30), dtype=np.uint8)
    tensors = structure_tensors(image, np.array([[-3.0, -3.0], [29.4, 19.4], [100.0, 5.0]]))
    assert tensors.shape == (3, 3) and np.all(np.isfinite(tensors))
    np.testing.assert_allclose(tensors[0], structure_tensors(image, np.array([[0.0, 0.0]]))[0])


def cross(a, b):
    return a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]


def test_epipolar_directions_point_at_the_epipole():
    rng = np.random.default_rng(1)
    x = rng.uniform(-0.5, 0.5, (10, 2))
    focal_xy = np.array([500.0, 500.0])
    # Sideways motion: the epipole is at infinity along x, every epipolar line is horizontal.
    sideways = epipolar_directions(x, np.array([0.3, 0.0, 0.0]), focal_xy)
    np.testing.assert_allclose(sideways[:, 1], 0.0, atol=1e-12)
    # Forward motion: the lines run through the image centre.
    forward = epipolar_directions(x, np.array([0.0, 0.0, 1.0]), focal_xy)
    np.testing.assert_allclose(cross(forward, x), 0.0, atol=1e-12)
    # In general through the epipole e = C / C_z (pixels scale each axis by its focal length).
    centre = np.array([0.2, -0.1, 0.5])
    general = epipolar_directions(x, centre, np.array([400.0, 600.0]))
    to_epipole = (centre[:2] / centre[2] - x) * [400.0, 600.0]
    np.testing.assert_allclose(cross(general, to_epipole), 0.0, atol=1e-9)
