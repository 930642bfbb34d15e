"""The per-prefix store of generations and the archives they need.

Layout (``<root>`` is ``plugins.guard_snapshot_dir``, by default
``~/.conda/guard/generations``; ``<key>`` is the prefix's directory name plus
a hash of its real path)::

    <root>/<key>/store.json               which prefix this store belongs to
    <root>/<key>/g<N>.json                generation N (see generation.py)
    <root>/<key>/g<N>.explicit.txt        its @EXPLICIT file (#sha256 anchors)
    <root>/<key>/archives/<digest>/<fn>   package archives (hard links or copies)
    <root>/<key>/pip/<digest>/<dist>.tar  files of pip-installed distributions

Archives are named by their digest, so two builds that share a file name never
collide. The store never lives inside the prefix it keeps.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..constants import SETTING_SNAPSHOT_DIR
from ..exceptions import InputError, UsageError
from . import fsutil
from .generation import Generation, load_generation

if TYPE_CHECKING:
    from collections.abc import Iterator

STORE_FORMAT = "conda-guard-store"
STORE_VERSION = 1

#: the setting (``.condarc`` ``plugins:`` key) and its environment variable
SETTING_DIR = SETTING_SNAPSHOT_DIR
ENV_DIR = "CONDA_PLUGINS_GUARD_SNAPSHOT_DIR"

_GEN_RE = re.compile(r"g([1-9][0-9]{0,8})\.json")
_SAFE_RE = re.compile(r"[^A-Za-z0-9._-]+")


def default_root() -> Path:
    """``~/.conda/guard/generations``: next to conda's own per-user data.

    ``~/.conda`` holds conda's per-user ``envs``, ``pkgs`` and
    ``environments.txt``; a store there is on the same file system as the
    per-user package cache, so its archives can be hard links.
    """
    return Path.home() / ".conda" / "guard" / "generations"


def store_root(setting: str | None = None) -> Path:
    """The root: the setting when given, else ``$CONDA_PLUGINS_GUARD_SNAPSHOT_DIR``."""
    value = setting or os.environ.get(ENV_DIR, "")
    return Path(value).expanduser() if value.strip() else default_root()


def prefix_key(prefix: str | Path) -> str:
    """``<dir name>-<12 hex of the real path>`` (stable, readable, unique)."""
    real = os.path.realpath(prefix)
    name = _SAFE_RE.sub("_", Path(real).name) or "root"
    digest = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()
    return f"{name}-{digest[:12]}"


@dataclass(frozen=True)
class Store:
    """The store of one prefix (it may not exist yet)."""

    path: Path
    prefix: str

    @classmethod
    def for_prefix(cls, prefix: str | Path, root: str | Path | None = None) -> Store:
        """The store of ``prefix`` under ``root`` (default: :func:`store_root`)."""
        base = Path(root).expanduser() if root else store_root()
        real_prefix = os.path.realpath(prefix)
        if fsutil.is_inside(base, real_prefix):
            raise UsageError(
                f"the generation store {base} is inside the prefix {prefix}; "
                f"set plugins.{SETTING_DIR} (or ${ENV_DIR}) to a directory outside it"
            )
        return cls(path=base / prefix_key(real_prefix), prefix=real_prefix)

    # -- the store itself ---------------------------------------------------

    @property
    def exists(self) -> bool:
        """True when the store has been created."""
        return (self.path / "store.json").is_file()

    def ensure(self) -> None:
        """Create the store (directories and ``store.json``) if needed."""
        if self.exists:
            self.check()
            return
        try:
            (self.path / "archives").mkdir(parents=True, exist_ok=True)
            (self.path / "pip").mkdir(exist_ok=True)
            doc = {
                "format": STORE_FORMAT,
                "version": STORE_VERSION,
                "prefix": self.prefix,
            }
            fsutil.atomic_write(
                self.path / "store.json", (json.dumps(doc, indent=1) + "\n").encode()
            )
        except OSError as exc:
            raise InputError(
                self.path, f"cannot create the store: {exc.strerror or exc}"
            ) from None

    def check(self) -> None:
        """Validate ``store.json``; :class:`InputError` when damaged or foreign."""
        meta = self.path / "store.json"
        try:
            doc = json.loads(meta.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(meta, f"cannot read: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InputError(meta, "damaged store file (invalid JSON)") from None
        if not isinstance(doc, dict) or doc.get("format") != STORE_FORMAT:
            raise InputError(meta, "not a conda-guard store file")
        if doc.get("version") != STORE_VERSION:
            raise InputError(meta, f"unsupported store version {doc.get('version')!r}")
        if doc.get("prefix") != self.prefix:
            raise InputError(
                meta, f"this store belongs to {doc.get('prefix')!r}, not {self.prefix}"
            )

    # -- generations --------------------------------------------------------

    def numbers(self) -> list[int]:
        """The generation numbers present, ascending."""
        if not self.path.is_dir():
            return []
        try:
            names = os.listdir(self.path)
        except OSError as exc:
            raise InputError(self.path, f"cannot list: {exc.strerror or exc}") from None
        return sorted(int(m.group(1)) for n in names if (m := _GEN_RE.fullmatch(n)))

    def generation_path(self, number: int) -> Path:
        """``g<N>.json``."""
        return self.path / f"g{number}.json"

    def explicit_path(self, number: int) -> Path:
        """``g<N>.explicit.txt``."""
        return self.path / f"g{number}.explicit.txt"

    def load(self, number: int) -> Generation:
        """Generation ``number``, validated (store file checked first)."""
        if not self.exists:
            raise InputError(
                self.path, f"no generations of {self.prefix} (no store here)"
            )
        self.check()
        path = self.generation_path(number)
        if not path.exists():
            have = ", ".join(f"g{n}" for n in self.numbers()) or "none"
            raise UsageError(f"no generation g{number} of {self.prefix} (have: {have})")
        gen = load_generation(path)
        if gen.number != number:
            raise InputError(path, f"damaged generation file: it says g{gen.number}")
        return gen

    def generations(self) -> list[Generation]:
        """Every generation, oldest first (each one validated)."""
        if not self.exists:
            return []
        self.check()
        return [self.load(n) for n in self.numbers()]

    def write(self, gen: Generation, explicit: str) -> Generation:
        """Store ``gen`` under the next free number; returns it renumbered.

        The JSON is claimed with an exclusive create (two processes never
        share a number), then the explicit file is written next to it; the
        generation is the JSON, the explicit file is its convenience copy.
        """
        from dataclasses import replace

        self.ensure()
        number = max(self.numbers(), default=0) + 1
        while True:
            gen = replace(gen, number=number)
            try:
                fsutil.atomic_write(
                    self.generation_path(number), gen.dumps(), exclusive=True
                )
            except FileExistsError:
                number += 1
                continue
            fsutil.atomic_write(self.explicit_path(number), explicit.encode())
            return gen

    def remove(self, number: int) -> None:
        """Delete generation ``number`` (its JSON first, then its explicit file)."""
        for path in (self.generation_path(number), self.explicit_path(number)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass

    # -- archives -----------------------------------------------------------

    def archive_rel(self, digest: str, fn: str) -> str:
        """``archives/<digest[:16]>/<fn>``."""
        return f"archives/{digest[:16]}/{fn}"

    def add_file(self, rel: str, source: Path, *, allow_copy: bool) -> str | None:
        """Hard-link (or copy) ``source`` to ``rel``: ``hardlink``/``copy``/None.

        An existing file of the same size stays (it came from an earlier
        generation; hashes are checked on use, not here).
        """
        target = self.path / rel
        try:
            st = target.stat()
        except FileNotFoundError:
            st = None
        if st is not None:
            src = source.stat()
            if (st.st_dev, st.st_ino) == (src.st_dev, src.st_ino):
                return "hardlink"
            if st.st_size == src.st_size:
                return "hardlink" if st.st_nlink > 1 else "copy"
        target.parent.mkdir(parents=True, exist_ok=True)
        return fsutil.link_or_copy(source, target, allow_copy=allow_copy)

    def files(self) -> Iterator[Path]:
        """Every archive and pip file in the store."""
        for sub in ("archives", "pip"):
            base = self.path / sub
            if base.is_dir():
                for dirpath, _dirs, names in os.walk(base):
                    for n in names:
                        yield Path(dirpath) / n

    def referenced(self, generations: list[Generation]) -> set[str]:
        """Store-relative paths the given generations use."""
        out: set[str] = set()
        for gen in generations:
            out.update(a.path for a in gen.archives if a.kept == "store" and a.path)
            out.update(p.archive for p in gen.pip if p.archive)
        return out

    def collect_garbage(self, keep: list[Generation]) -> fsutil.Usage:
        """Delete files no kept generation uses; returns what was deleted."""
        used = self.referenced(keep)
        doomed = [
            f for f in self.files() if f.relative_to(self.path).as_posix() not in used
        ]
        usage = fsutil.disk_usage(doomed)
        for f in doomed:
            f.unlink()
            try:
                f.parent.rmdir()
            except OSError:
                pass
        return usage

    def usage(self) -> fsutil.Usage:
        """Disk use of the archives and pip files (inodes counted once)."""
        return fsutil.disk_usage(self.files())

    def metadata_bytes(self) -> int:
        """Bytes of the generation and explicit files."""
        total = 0
        for n in self.numbers():
            for p in (self.generation_path(n), self.explicit_path(n)):
                try:
                    total += p.stat().st_size
                except OSError:
                    pass
        return total


def all_stores(root: str | Path | None = None) -> list[Store]:
    """Every store under ``root`` (default :func:`store_root`), by prefix."""
    base = Path(root).expanduser() if root else store_root()
    if not base.is_dir():
        return []
    out = []
    for entry in sorted(base.iterdir()):
        meta = entry / "store.json"
        if not meta.is_file():
            continue
        try:
            doc: Any = json.loads(meta.read_text(encoding="utf-8"))
            prefix = doc["prefix"] if isinstance(doc, dict) else None
        except (OSError, ValueError, KeyError):
            prefix = None
        if isinstance(prefix, str):
            out.append(Store(path=entry, prefix=prefix))
    return out
