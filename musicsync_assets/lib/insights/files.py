"""Reading and writing inside the workspace only: every path is resolved and checked against the
root before it is opened, and every write goes to a temporary name first and is renamed into place,
and only when the content changed."""

import os
import tempfile
from pathlib import Path

BINARY_PROBE = 8192  # bytes looked at for a NUL to tell a binary file from text


class OutsideWorkspace(ValueError):
    """A path that resolves outside the workspace root (`../../etc/passwd`, a symlink out)."""


def inside(root: Path, relative: str | Path) -> Path:
    """`relative` resolved under `root`; raises OutsideWorkspace when it escapes it."""
    root = root.resolve()
    candidate = (root / relative).resolve()
    if candidate != root and root not in candidate.parents:
        raise OutsideWorkspace(f"{relative} is outside the workspace {root}")
    return candidate


def read_text(path: Path, limit: int) -> tuple[str | None, str | None, bool]:
    """(text, problem, truncated): at most the last `limit` bytes of a text file; a binary or
    undecodable file gives no text and says why."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size > limit:
            handle.seek(size - limit)
        data = handle.read(limit)
    if b"\0" in data[:BINARY_PROBE]:
        return None, "binary file, not read", False
    try:
        return data.decode("utf-8"), None, size > limit
    except UnicodeDecodeError:
        if size > limit:  # the cut may have split a character
            return data.decode("utf-8", errors="ignore"), None, True
        return None, "binary or not UTF-8 text, not read", False


def write_if_changed(path: Path, content: bytes) -> bool:
    """Writes `content` under a temporary name and renames it over `path`, unless `path` already
    holds exactly that; returns whether it wrote."""
    if path.exists() and path.read_bytes() == content:
        return False
    tmp = _temporary_copy(path, content)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return True


def create_new(path: Path, content: bytes) -> bool:
    """Writes a file that must not exist yet: written under a temporary name, then hard-linked into
    place, which fails rather than replaces when something appeared there meanwhile."""
    tmp = _temporary_copy(path, content)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def _temporary_copy(path: Path, content: bytes) -> Path:
    """`content` in a hidden temporary file beside `path`, ready to be moved or linked into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)
