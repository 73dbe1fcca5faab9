# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Frame sources of the offline runner.

Image folders, videos, ROS bags (written here with `rosbags` from the real TUM frames) and camera files.
"""
import cv2
import numpy as np
import pytest
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import Stores, get_typestore

from lightglue_ros.vo.camera import CameraModel
from lightglue_ros.vo.sources import (ImageFolder, RosBag, VideoFile, camera_from_values, decode_image,
                                      open_source, read_camera_info_yaml, to_gray_or_rgb8, write_camera_info_yaml)
from tum_bag import IMAGE_TOPIC, TUM_K, tum_frames, write_tum_bag

FRAMES = 4


@pytest.fixture(scope="module")
def frames(data_dir):
    return tum_frames(data_dir, FRAMES)  # (stamp_ns, BGR)


def test_image_folder_reads_only_images_with_numeric_stamps(tmp_path, frames):
    for stamp_ns, bgr in frames:
        cv2.imwrite(str(tmp_path / f"{stamp_ns * 1e-9:.6f}.png"), bgr)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "groundtruth.txt").write_text("# nothing")
    (tmp_path / "sub").mkdir()
    out = list(open_source(tmp_path))
    assert len(out) == FRAMES
    for (stamp_ns, bgr), frame in zip(frames, out):
        assert frame.stamp == pytest.approx(stamp_ns * 1e-9, abs=1e-6)
        np.testing.assert_array_equal(frame.image, bgr[..., ::-1])   # RGB
        assert frame.depth is None


def test_image_folder_without_numeric_names_uses_the_index_and_name_order(tmp_path, frames):
    for name, (_, bgr) in zip(["b_img", "a_img", "c_img"], frames):
        cv2.imwrite(str(tmp_path / f"{name}.jpg"), bgr)
    source = ImageFolder(tmp_path)
    assert [p.name for _, p in source.files] == ["a_img.jpg", "b_img.jpg", "c_img.jpg"]
    assert [f.stamp for f in source] == [0.0, 1.0, 2.0]


def test_image_folder_with_depth_by_name_and_nearest_stamp(tmp_path, frames):
    rgb_dir, depth_dir = tmp_path / "rgb", tmp_path / "depth"
    rgb_dir.mkdir(), depth_dir.mkdir()
    for i, (_, bgr) in enumerate(frames[:2]):
        cv2.imwrite(str(rgb_dir / f"{10 + i}.000000.png"), bgr)
    cv2.imwrite(str(depth_dir / "10.000000.png"), np.full((480, 640), 1500, np.uint16))   # same name
    cv2.imwrite(str(depth_dir / "11.010000.png"), np.full((480, 640), 2500, np.uint16))   # 10 ms later
    out = list(ImageFolder(rgb_dir, depth_dir))
    assert out[0].depth.dtype == np.float32
    np.testing.assert_allclose(out[0].depth, 1.5)
    np.testing.assert_allclose(out[1].depth, 2.5)
    assert list(ImageFolder(rgb_dir, depth_dir, max_depth_dt=0.005))[1].depth is None


def test_video_written_with_opencv_is_read_back(tmp_path, frames):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (640, 480))
    assert writer.isOpened()
    for _, bgr in frames:
        writer.write(bgr)
    writer.release()
    source = open_source(path)
    assert isinstance(source, VideoFile) and len(source) == FRAMES
    out = list(source)
    assert [f.stamp for f in out] == pytest.approx([i / 15.0 for i in range(FRAMES)])
    for (_, bgr), frame in zip(frames, out):
        assert frame.image.shape == (480, 640, 3)
        assert np.abs(frame.image.astype(int) - bgr[..., ::-1]).mean() < 4  # lossy (MJPG), RGB order


def write_mono_bag(path, frames, storage=StoragePlugin.SQLITE3):
    """mono8 Images with rows padded to a 4-byte multiple + 2 (step > width), header stamps != log times."""
    store = get_typestore(Stores.LATEST)
    T = store.types
    with Writer(path, version=9, storage_plugin=storage) as writer:
        conn = writer.add_connection("/cam/mono", "sensor_msgs/msg/Image", typestore=store)
        for stamp_ns, bgr in frames:
            gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            h, w = gray.shape
            step = w + 6
            padded = np.zeros((h, step), np.uint8)
            padded[:, :w] = gray
            sec, nanosec = divmod(stamp_ns, 1_000_000_000)
            stamp = T["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec)
            header = T["std_msgs/msg/Header"](stamp=stamp, frame_id="cam")
            msg = T["sensor_msgs/msg/Image"](header=header, height=h, width=w, encoding="mono8", is_bigendian=0,
                                             step=step, data=padded.ravel())
            writer.write(conn, stamp_ns + 5_000_000, store.serialize_cdr(msg, conn.msgtype))
    return path


def test_rosbag2_bgr8_frames_and_camera_info(tmp_path, frames):
    bag = write_tum_bag(tmp_path / "tum", frames)
    source = open_source(bag, topic=IMAGE_TOPIC)
    assert isinstance(source, RosBag) and len(source) == FRAMES
    out = list(source)
    for (stamp_ns, bgr), frame in zip(frames, out):
        assert frame.stamp == pytest.approx(stamp_ns * 1e-9, abs=1e-6)
        np.testing.assert_array_equal(frame.image, bgr[..., ::-1])
    camera = source.camera()
    np.testing.assert_allclose(camera.K.ravel(), TUM_K)
    assert (camera.width, camera.height) == (640, 480)
    db3 = next(bag.glob("*.db3"))
    assert len(list(open_source(db3))) == FRAMES   # the single storage file; the only image topic is picked


def test_rosbag2_mono8_mcap_with_padded_rows(tmp_path, frames):
    bag = write_mono_bag(tmp_path / "mono", frames, StoragePlugin.MCAP)
    out = list(open_source(bag))   # one image topic: no --topic needed
    for (stamp_ns, bgr), frame in zip(frames, out):
        assert frame.stamp == pytest.approx(stamp_ns * 1e-9, abs=1e-6)   # header, not log time (+5 ms)
        np.testing.assert_array_equal(frame.image, cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))
    assert open_source(bag).camera() is None


def test_bag_topic_errors_list_the_image_topics(tmp_path, frames):
    bag = write_tum_bag(tmp_path / "tum", frames[:1])
    with pytest.raises(ValueError, match="/camera/image"):
        open_source(bag, topic="/nope")


@pytest.mark.parametrize("encoding, channels, dtype", [("rgb8", 3, np.uint8), ("bgra8", 4, np.uint8),
                                                       ("mono16", 1, np.uint16), ("32FC1", 1, np.float32)])
def test_decode_image_encodings(encoding, channels, dtype):
    rng = np.random.default_rng(0)
    pixels = (rng.random((5, 7, channels)) * 200).astype(dtype).squeeze()
    step = 7 * channels * np.dtype(dtype).itemsize + 3
    rows = np.zeros((5, step), np.uint8)
    rows[:, :step - 3] = pixels.reshape(5, -1).view(np.uint8)
    out = decode_image(encoding, 5, 7, step, rows.tobytes())
    expected = {"rgb8": pixels, "bgra8": pixels[..., [2, 1, 0]]}.get(encoding, pixels)
    np.testing.assert_array_equal(out, expected)


def test_to_gray_or_rgb8_keeps_gray_and_gives_colour_as_rgb():
    np.testing.assert_array_equal(to_gray_or_rgb8(np.full((2, 3), 0x1234, np.uint16)), np.full((2, 3), 0x12))
    assert to_gray_or_rgb8(np.zeros((2, 3, 1), np.uint8)).shape == (2, 3)
    bgra = np.array([[[1, 2, 3, 4]]], np.uint8)
    np.testing.assert_array_equal(to_gray_or_rgb8(bgra), [[[3, 2, 1]]])
    np.testing.assert_array_equal(to_gray_or_rgb8(bgra[..., :3], bgr=False), [[[1, 2, 3]]])
    with pytest.raises(ValueError, match="8 or 16 bit"):
        to_gray_or_rgb8(np.zeros((2, 3), np.float32))


def test_decode_big_endian_mono16():
    pixels = (np.arange(12) * 1000).astype(">u2").reshape(3, 4)
    out = decode_image("mono16", 3, 4, 8, pixels.tobytes(), is_bigendian=True)
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, pixels.astype(np.uint16))


def test_decode_image_rejects_bad_input():
    with pytest.raises(ValueError, match="encoding 'jpeg2k'"):
        decode_image("jpeg2k", 2, 2, 2, bytes(4))
    with pytest.raises(ValueError, match="bytes"):
        decode_image("rgb8", 2, 2, 6, bytes(5))


def test_camera_info_yaml_round_trip_and_errors(tmp_path):
    camera = CameraModel(500.0, 505.0, 319.5, 239.5, 640, 480, "plumb_bob", [0.1, -0.2, 0.001, 0.002, 0.05])
    write_camera_info_yaml(tmp_path / "cam.yaml", camera, "test_cam")
    read = read_camera_info_yaml(tmp_path / "cam.yaml")
    np.testing.assert_allclose(read.K, camera.K)
    np.testing.assert_allclose(read.D, camera.D)
    assert (read.width, read.height, read.distortion_model) == (640, 480, "plumb_bob")
    (tmp_path / "bad.yaml").write_text("image_width: 640\n")
    with pytest.raises(ValueError, match="not a CameraInfo YAML"):
        read_camera_info_yaml(tmp_path / "bad.yaml")


def test_camera_from_command_line_values():
    assert camera_from_values([535.4, 539.2, 320.1, 247.6], 640, 480).distortion_model == "plumb_bob"
    assert camera_from_values([500, 500, 320, 240] + [0.0] * 8, 640, 480).distortion_model == "rational_polynomial"
    with pytest.raises(ValueError, match="fx fy cx cy"):
        camera_from_values([500, 500], 640, 480)
    with pytest.raises(ValueError, match="distortion"):
        camera_from_values([500, 500, 320, 240, 0.1], 640, 480)


def test_ros1_bag_with_compressed_images(tmp_path, frames):
    """ROS 1 .bag, sensor_msgs/CompressedImage (PNG: lossless, so the pixels must come back exactly)."""
    from rosbags.rosbag1 import Writer as Writer1

    store = get_typestore(Stores.ROS1_NOETIC)
    T = store.types
    bag = tmp_path / "tum.bag"
    with Writer1(bag) as writer:
        conn = writer.add_connection("/cam/image/compressed", "sensor_msgs/msg/CompressedImage", typestore=store)
        for i, (stamp_ns, bgr) in enumerate(frames):
            sec, nanosec = divmod(stamp_ns, 1_000_000_000)
            stamp = T["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec)
            header = T["std_msgs/msg/Header"](seq=i, stamp=stamp, frame_id="cam")
            png = np.frombuffer(cv2.imencode(".png", bgr)[1].tobytes(), np.uint8)
            msg = T["sensor_msgs/msg/CompressedImage"](header=header, format="bgr8; png compressed bgr8", data=png)
            writer.write(conn, stamp_ns, store.serialize_ros1(msg, conn.msgtype))
    out = list(open_source(bag, topic="/cam/image/compressed"))
    assert len(out) == FRAMES
    for (stamp_ns, bgr), frame in zip(frames, out):
        assert frame.stamp == pytest.approx(stamp_ns * 1e-9, abs=1e-6)
        np.testing.assert_array_equal(frame.image, bgr[..., ::-1])


def test_rosbag2_depth_topic_is_paired_by_nearest_stamp(tmp_path, frames):
    """Depth (16UC1 mm) stamped 8 ms after each image and logged after it; the last image has no depth."""
    store = get_typestore(Stores.LATEST)
    T = store.types
    with Writer(tmp_path / "rgbd", version=9) as writer:
        image_conn = writer.add_connection("/cam/color", "sensor_msgs/msg/Image", typestore=store)
        depth_conn = writer.add_connection("/cam/depth", "sensor_msgs/msg/Image", typestore=store)
        for i, (stamp_ns, bgr) in enumerate(frames):
            for conn, t, pixels, encoding in [(image_conn, stamp_ns, bgr, "bgr8"),
                                              (depth_conn, stamp_ns + 8_000_000,
                                               np.full((480, 640), 1000 * (i + 1), np.uint16), "16UC1")]:
                if conn is depth_conn and i == len(frames) - 1:
                    continue
                sec, nanosec = divmod(t, 1_000_000_000)
                stamp = T["builtin_interfaces/msg/Time"](sec=sec, nanosec=nanosec)
                header = T["std_msgs/msg/Header"](stamp=stamp, frame_id="cam")
                msg = T["sensor_msgs/msg/Image"](header=header, height=480, width=640, encoding=encoding,
                                                 is_bigendian=0, step=pixels.strides[0],
                                                 data=np.ascontiguousarray(pixels).view(np.uint8).ravel())
                writer.write(conn, t + 1_000_000, store.serialize_cdr(msg, conn.msgtype))
    with pytest.raises(ValueError, match="--topic"):
        open_source(tmp_path / "rgbd")   # two image topics
    out = list(open_source(tmp_path / "rgbd", topic="/cam/color", depth_topic="/cam/depth"))
    assert len(out) == FRAMES
    for i, ((stamp_ns, bgr), frame) in enumerate(zip(frames, out)):
        assert frame.stamp == pytest.approx(stamp_ns * 1e-9, abs=1e-6)
        np.testing.assert_array_equal(frame.image, bgr[..., ::-1])
        if i < FRAMES - 1:
            assert frame.depth.dtype == np.float32
            np.testing.assert_allclose(frame.depth, i + 1.0)   # metres, its own depth (not a neighbour's)
        else:
            assert frame.depth is None


def test_empty_or_missing_sources_are_value_errors(tmp_path):
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(ValueError, match="no image files"):
        ImageFolder(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        open_source(tmp_path / "missing")
    with pytest.raises(ValueError, match="cannot open the video"):
        open_source(tmp_path / "readme.txt")
