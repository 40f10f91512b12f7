"""Every file the pipeline writes appears whole or not at all, even if the process is killed mid-write.

A writer writes to a temporary name in the target's directory
(`.<name>.<pid>.<random>.tmp`), fsyncs it, and renames it over the target
(`os.replace`, atomic on POSIX), then fsyncs the directory. A killed process
leaves at most a hidden temporary file, which `sweep` removes on the next run
once the process that owned it is gone. Release folders are built the same
way as a temporary directory renamed into place.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_TEMPORARY = re.compile(r"^\..+\.(?P<pid>[0-9]+)\.[0-9a-f]+\.tmp(\.wal)?$")
"""A temporary name of this module (and the write-ahead log DuckDB may keep beside one)."""


_CRASH_AT = "OGI_TEST_CRASH_AT"
"""Tests only: `<path part>:<n>` kills this process at the nth write whose target path contains the part."""
_crash_lock = threading.Lock()
_crash_count = 0


def temporary_name(target: Path) -> Path:
    """A fresh hidden name beside target, carrying the writer's pid so `sweep` knows when it is stale."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def is_temporary(path: Path) -> bool:
    return _TEMPORARY.match(path.name) is not None


@contextlib.contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield a temporary path for target's new content: on success it replaces target, else it is removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(target)
    try:
        yield tmp
        _fsync(tmp)
        _crash_point(target)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync(target.parent)


def write_bytes(target: Path, data: bytes, *, mode: int | None = None) -> Path:
    """Write data to target atomically (mode: the file's permissions, e.g. read-only for raw files)."""
    with replacing(target) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
    return Path(target)


def write_text(target: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(target, text.encode(encoding))


def write_parquet(target: Path, table: pa.Table, **options) -> Path:
    """pyarrow's `write_table(table, …, **options)`, atomically."""
    with replacing(target) as tmp:
        pq.write_table(table, tmp, **options)
    return Path(target)


def temporary_dir(parent: Path, name: str) -> Path:
    """A new hidden directory in parent to assemble a folder in, for `install_dir` to rename into place."""
    parent.mkdir(parents=True, exist_ok=True)
    path = temporary_name(parent / name)
    path.mkdir(mode=0o755)
    return path


def install_dir(tmp: Path, target: Path) -> None:
    """Rename a complete directory into place; fails (OSError) if target exists and is not empty."""
    for path in sorted(tmp.rglob("*")):
        if path.is_file():
            _fsync(path)
    _crash_point(target)
    os.rename(tmp, target)
    _fsync(target.parent)


def sweep(root: Path) -> list[Path]:
    """Remove the temporary files and directories under root left by processes that are gone."""
    removed = []
    if not Path(root).is_dir():
        return removed
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            if _TEMPORARY.match(name) is not None and _remove_if_stale(Path(dirpath) / name):
                removed.append(Path(dirpath) / name)
                if name in dirnames:
                    dirnames.remove(name)
    return removed


def sweep_siblings(target: Path) -> list[Path]:
    """Remove the stale temporaries of target beside it (not a walk: for a shared folder such as /tmp)."""
    parent, name = Path(target).parent, glob.escape(Path(target).name)
    candidates = sorted(parent.glob(f".{name}.*.tmp")) if parent.is_dir() else []
    return [path for path in candidates if _remove_if_stale(path)]


def _remove_if_stale(path: Path) -> bool:
    """Remove path if it is a temporary whose writer is gone."""
    match = _TEMPORARY.match(path.name)
    if match is None or _alive(int(match["pid"])):
        return False
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return True


def _crash_point(target: Path) -> None:
    """The crash-and-resume tests' kill switch: SIGKILL with the temporary file written, not yet renamed.

    The tests start each build as a process group of its own; the whole build
    dies, whether the write is the build's own or a parse or stage worker's.
    """
    spec = os.environ.get(_CRASH_AT)
    if not spec:
        return
    part, _, nth = spec.rpartition(":")
    if part not in str(target):
        return
    global _crash_count
    with _crash_lock:
        _crash_count += 1
        if _crash_count != int(nth):
            return
    if os.getpgid(0) in (os.getpid(), os.getppid()):
        os.killpg(0, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    """Flush a file's or directory's data to disk (best effort where a directory cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
