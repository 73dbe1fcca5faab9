# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""vo_node in a real ROS graph as a new user meets it.

The node started with its defaults (config/vo.yaml, nothing else), an independent client process
(bench/publish_images.py: plain rclpy, nothing of ours) publishing the real TUM frames with their CameraInfo. Every
frame sent is answered or accounted for (dropped, rejected, lost), and losses in transport are visible: counted, warned
about with the fix, and gone with the shipped Fast DDS profile.
"""
import json
import subprocess
import sys

import pytest

from ros_helpers import FASTDDS_PROFILE, ROOT, TUM_INTRINSICS, domain_id, ros_env, start_node, stop_node

DOMAIN_ID = domain_id(64)


def run_client(domain_id: int, data_dir, qos: str, rate: float, frames: int = 0, env: dict | None = None) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "publish_images.py"), str(data_dir / "tum_fr3_office_17"),
               "--camera", *map(str, TUM_INTRINSICS), "--rate", str(rate), "--qos", qos, "--frames", str(frames)]
    done = subprocess.run(command, env={**ros_env(domain_id), **(env or {})}, capture_output=True, text=True,
                          timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))
    print(f"\n{qos} client, profile {'on' if env else 'off'}: {report}")
    return report


def accounted(report: dict) -> int:
    return sum(report[k] for k in ("processed", "dropped", "rejected", "lost"))


def test_reliable_camera_every_frame_arrives(data_dir, tmp_path):
    """The ROS default QoS (reliable, many camera drivers): nothing is lost in transport.

    `qos: auto` subscribes reliably, and every frame is tracked unless the node was still busy with the previous one.
    """
    node = start_node(DOMAIN_ID, tmp_path, defaults=True)
    try:
        report = run_client(DOMAIN_ID, data_dir, "reliable", rate=0.5)
    finally:
        log = stop_node(node, tmp_path)
    assert report["sent"] == 17 and report["lost"] == 0 and report["rejected"] == 0, report
    assert report["answered"] == report["processed"] and report["answered"] + report["dropped"] == 17, report
    assert report["answered"] >= 15, report  # 0.5 Hz leaves the CPU node about 2x the time it needs
    assert "subscribed reliable" in log


@pytest.mark.parametrize("profile", [False, True], ids=["no-profile", "profile-on-both"])
def test_best_effort_camera_losses_are_counted(data_dir, tmp_path, profile):
    """Large best-effort images over Fast DDS's default transports are lost (measured: 0-3 of 20 arrive, 4 of 8 once).

    Every one is answered or counted, the first loss names the fix, and with the shipped profile given to both processes
    every frame arrives.
    """
    env = {"FASTDDS_DEFAULT_PROFILES_FILE": str(FASTDDS_PROFILE)} if profile else None
    node = start_node(DOMAIN_ID + 1, tmp_path, defaults=True, env=env)
    try:
        report = run_client(DOMAIN_ID + 1, data_dir, "best_effort", rate=1.0, frames=8, env=env)
    finally:
        log = stop_node(node, tmp_path)
    assert "subscribed best_effort" in log
    if profile:
        assert report["lost"] == 0 and report["answered"] + report["dropped"] == report["sent"], report
        assert report["answered"] >= 4, report
    else:
        # How many are lost depends on the machine's load (CI once saw 3 of 8): what must hold is that losses
        # happen without the profile and that every one is counted and named.
        assert report["lost"] >= 1, report
        # A subscriber learns of a lost sample from the next one that arrives: the middleware cannot report the
        # last one, nor one before the first that arrived (measured: 6 of 8 counted, the other 2 those).
        assert report["sent"] - 2 <= accounted(report) <= report["sent"], report
        assert "fastdds_large_images.xml" in log and "lost in transport" in log
