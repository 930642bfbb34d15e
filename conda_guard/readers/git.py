"""Git revisions as states: ``REV:PATH`` (``main:pixi.lock``, ``HEAD~1:conda-lock.yml``,
``:pixi.lock`` for the staged copy) names a file as it is in a commit.

The blob is read with the ``git`` command (``git cat-file``), the way
``git show REV:PATH`` reads it: ``PATH`` is relative to the top of the
repository, or to the current directory when it starts with ``./`` or ``../``.
It is copied to a private temporary file for the readers (every format works,
the format is detected from the content) and removed afterwards; the state and
every error name ``REV:PATH``, never the copy. A reference is only taken for a
revision when no file or directory of that name exists.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from conda_guard.exceptions import GuardError, InputError, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conda_guard.models import State

#: ``REV:PATH``; REV may be empty (the index); a Windows drive (``C:\\x``) is not
_REF_RE = re.compile(r"(?P<rev>[^:\s]*):(?P<path>[^\s].*)")
_TIMEOUT = 60


@dataclass(frozen=True)
class GitRef:
    """A file in a git revision."""

    rev: str  # "" for the index (the staged copy)
    path: str

    def __str__(self) -> str:
        return f"{self.rev}:{self.path}"

    @property
    def what(self) -> str:
        """``revision 'main'`` or ``the index``, for messages."""
        return f"revision {self.rev!r}" if self.rev else "the index (staged files)"


def parse_git_ref(text: str) -> GitRef | None:
    """The :class:`GitRef` ``text`` names, or None when it is a path or no ref."""
    m = _REF_RE.fullmatch(text)
    if m is None or os.path.lexists(text):
        return None
    rev, path = m["rev"], m["path"]
    if len(rev) == 1 and rev.isalpha() and path[:1] in ("\\", "/"):
        return None  # C:\path, C:/path
    if "://" in text or path.startswith("//"):
        return None  # a URL
    return GitRef(rev, path)


def _git(args: list[str], ref: GitRef) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise UsageError(f"{ref}: reading a git revision needs the 'git' command")
    try:
        return subprocess.run(
            [git, *args],
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"{ref}: git did not answer in {_TIMEOUT} s") from None
    except OSError as exc:
        raise UsageError(f"{ref}: cannot run git: {exc.strerror or exc}") from None


def _first_line(stderr: bytes) -> str:
    text = stderr.decode("utf-8", "replace").strip().splitlines()
    line = text[0] if text else "git failed"
    return line.removeprefix("fatal: ").removeprefix("error: ")


def read_blob(ref: GitRef) -> bytes:
    """The content of ``ref``; :class:`GuardError` with one clear line if absent."""
    inside = _git(["rev-parse", "--is-inside-work-tree"], ref)
    if inside.returncode != 0:
        raise UsageError(
            f"{ref}: no such file, and not a git revision here "
            f"({_first_line(inside.stderr)})"
        )
    if ref.rev:
        rev = _git(["rev-parse", "--verify", "--quiet", f"{ref.rev}^{{commit}}"], ref)
        if rev.returncode != 0:
            raise UsageError(f"{ref}: {ref.rev!r} is not a commit in this repository")
    kind = _git(["cat-file", "-t", str(ref)], ref)
    if kind.returncode != 0:
        raise InputError(ref, f"no file {ref.path!r} in {ref.what}")
    found = kind.stdout.decode().strip()
    if found != "blob":
        raise InputError(ref, f"{ref.path!r} is a {found}, not a file, in {ref.what}")
    blob = _git(["cat-file", "blob", str(ref)], ref)
    if blob.returncode != 0:
        raise InputError(ref, f"cannot read from git: {_first_line(blob.stderr)}")
    return blob.stdout


@contextlib.contextmanager
def checked_out(ref: GitRef) -> Iterator[Path]:
    """A private temporary copy of ``ref``, named like it; removed afterwards."""
    data = read_blob(ref)
    name = PurePosixPath(ref.path).name or "blob"
    with tempfile.TemporaryDirectory(prefix="conda-guard-git-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            yield path
        except GuardError as exc:
            raise _renamed(exc, str(path), str(ref)) from None


def _renamed(exc: GuardError, old: str, new: str) -> GuardError:
    """The same error, naming ``new`` where it named the temporary copy."""
    if isinstance(exc, InputError):
        path = new if exc.path == old else exc.path.replace(old, new)
        return InputError(path, exc.reason.replace(old, new), exc.line)
    clone = type(exc).__new__(type(exc))
    clone.__dict__.update(exc.__dict__)
    clone.args = tuple(
        a.replace(old, new) if isinstance(a, str) else a for a in exc.args
    )
    return clone


def read_git_state(ref: GitRef, fmt: str | None = None, **kwargs: str | None) -> State:
    """Read ``ref`` as :func:`~conda_guard.readers.read_state` reads a path."""
    from conda_guard.readers import read_state

    with checked_out(ref) as path:
        state = read_state(path, fmt, **kwargs)
    return replace(state, source=str(ref))
