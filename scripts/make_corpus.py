"""Build tests/data/corpus/ from git mirrors of public repositories.

The corpus is a set of consecutive before/after pairs of real lock files
(``pixi.lock``, ``conda-lock.yml``, ``@EXPLICIT``) taken from the histories of
the repositories in :data:`SOURCES`. A pair is the change one commit on the
repository's first-parent history made to the file: ``before`` is the file at
the commit's first parent, ``after`` the file at the commit. Commits that add
or delete the file, or leave its content unchanged, give no pair; so do
versions of a format conda-guard does not read (``pixi.lock`` v1–v3).

Per source it writes ``<source>.tar.xz`` (split into ``<source>.N.tar.xz``
when one archive would exceed :data:`MAX_ARCHIVE`): a tar of the distinct
file versions, named by their git blob id, oldest first so that consecutive
versions sit next to each other in the xz dictionary. ``corpus.json`` lists
the sources (repository, path, format, license, mirror head) and their pairs
(commits and blob ids); ``SOURCES.md`` says the same for people. The tests
check every blob against its git blob id, so what they read is byte-identical
to the repository's file.

Usage::

    python scripts/make_corpus.py [--mirrors /work/.mirror] [--out tests/data/corpus]

A mirror is a bare git directory ``<mirrors>/<owner>+<name>/repo`` (what the
project's fetch tool leaves). Not run by CI: the output is committed.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from corpus_tags import tags

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "tests" / "data" / "corpus"
DEFAULT_MIRRORS = Path("/work/.mirror")
MAX_ARCHIVE = 1_900_000  # bytes; the repository takes no file over 2 MB
XZ_PRESET = 9 | lzma.PRESET_EXTREME
CORPUS_VERSION = 1


@dataclass(frozen=True)
class Source:
    """One file's history in one repository, and which of its changes to take."""

    id: str
    repo: str
    path: str
    format: str  # a conda-guard reader name: explicit, conda-lock, pixi-lock
    license: str
    license_file: str
    #: inclusive (since, until) committer dates (YYYY-MM-DD) of the "after"
    #: commit; empty = the whole history
    windows: tuple[tuple[str, str], ...] = ()
    why: str = ""


SOURCES: tuple[Source, ...] = (
    Source(
        "pangeo-ml-explicit",
        "pangeo-data/pangeo-docker-images",
        "ml-notebook/conda-linux-64.lock",
        "explicit",
        "MIT",
        "LICENSE",
        why="CUDA 11→12 (cudatoolkit → cuda-*), tensorflow/jaxlib GPU↔CPU, "
        "cudnn/nccl, hdf5/netcdf/esmf mpi↔nompi, numpy 1→2, Python 3.7→3.12",
    ),
    Source(
        "pangeo-ml-condalock",
        "pangeo-data/pangeo-docker-images",
        "ml-notebook/conda-lock.yml",
        "conda-lock",
        "MIT",
        "LICENSE",
        windows=(("2024-05-15", "2024-07-31"),),
        why="the same image with depends: CUDA 11→12 split, MPI switches, "
        "Python 3.11→3.12",
    ),
    Source(
        "pangeo-pytorch-explicit",
        "pangeo-data/pangeo-docker-images",
        "pytorch-notebook/conda-linux-64.lock",
        "explicit",
        "MIT",
        "LICENSE",
        windows=(("2022-08-01", "2022-09-30"), ("2025-07-01", "2025-08-31")),
        why="BLAS mkl/openblas switches, MPI switches",
    ),
    Source(
        "esmvaltool-explicit",
        "ESMValGroup/ESMValTool",
        "conda-linux-64.lock",
        "explicit",
        "Apache-2.0",
        "LICENSE",
        windows=(
            ("2022-03-01", "2022-04-30"),
            ("2023-04-01", "2023-08-31"),
            ("2025-03-01", "2025-06-30"),
        ),
        why="cudatoolkit/nccl in and out, mpi→nompi with Python 3.10→3.11, "
        "numpy 1→2, Python 3.12→3.13",
    ),
    Source(
        "esmvalcore-explicit",
        "ESMValGroup/ESMValCore",
        "conda-linux-64.lock",
        "explicit",
        "Apache-2.0",
        "LICENSE",
        windows=(("2023-05-01", "2023-06-30"), ("2024-11-01", "2024-12-31")),
        why="mpi→nompi with Python 3.10→3.11; numpy 1→2 with Python 3.12→3.13",
    ),
    Source(
        "cryo-condalock",
        "CryoInTheCloud/hub-image",
        "conda-lock.yml",
        "conda-lock",
        "BSD-3-Clause",
        "LICENSE",
        windows=(("2025-05-01", "2026-12-31"),),
        why="numpy 1→2, Python 3.11→3.12, openmpi",
    ),
    Source(
        "pixi-pixilock",
        "prefix-dev/pixi",
        "pixi.lock",
        "pixi-lock",
        "BSD-3-Clause",
        "LICENSE",
        windows=(
            ("2024-02-11", "2024-03-09"),
            ("2024-05-06", "2024-05-28"),
            ("2024-12-19", "2024-12-20"),
            ("2026-05-05", "2026-05-15"),
        ),
        why="pixi.lock v4, v4→v5, v5→v6, v6→v7; many environments",
    ),
    Source(
        "scipy-pixilock",
        "scipy/scipy",
        "pixi.lock",
        "pixi-lock",
        "BSD-3-Clause",
        "LICENSE.txt",
        windows=(
            ("2025-12-12", "2025-12-12"),
            ("2026-05-08", "2026-05-08"),
            ("2026-06-26", "2026-06-26"),
        ),
        why="40 environments (BLAS variants, CUDA, free-threading); numpy 1→2; "
        "v6→v7; v7 platforms named p1/p2 (linux-64 with __cuda)",
    ),
    Source(
        "pytorch-gpu-pixilock",
        "matthewfeickert/pytorch-gpu-pixi-example",
        "pixi.lock",
        "pixi-lock",
        "MIT",
        "LICENSE",
        why="pytorch CUDA builds from conda-forge, CUDA 12.6→12.9",
    ),
)


@dataclass
class Pair:
    """One commit's change to one file."""

    before_commit: str
    after_commit: str
    before_blob: str
    after_blob: str
    date: str
    subject: str
    tags: list[str] = field(default_factory=list)

    def to_json(self, source: str) -> dict[str, object]:
        return {
            "id": f"{source}@{self.after_commit[:10]}",
            "date": self.date,
            "subject": self.subject,
            "tags": self.tags,
            "before": {"commit": self.before_commit, "blob": self.before_blob},
            "after": {"commit": self.after_commit, "blob": self.after_blob},
        }


@dataclass
class Built:
    """What one source produced."""

    source: Source
    head: str
    pairs: list[Pair] = field(default_factory=list)
    blobs: list[str] = field(default_factory=list)
    archives: list[dict[str, object]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


class Mirror:
    """A bare git directory read with ``git``."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir

    def run(self, *args: str) -> bytes:
        out = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", *args],
            capture_output=True,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(
                f"git {' '.join(args)}: {out.stderr.decode(errors='replace')}"
            )
        return out.stdout

    def blob_id(self, commit: str, path: str) -> str | None:
        out = subprocess.run(
            [
                "git",
                f"--git-dir={self.git_dir}",
                "rev-parse",
                "-q",
                "--verify",
                f"{commit}:{path}",
            ],
            capture_output=True,
            check=False,
        )
        return out.stdout.decode().strip() or None

    def blob(self, blob_id: str) -> bytes:
        return self.run("cat-file", "blob", blob_id)


def git_blob_id(data: bytes) -> str:
    """The git blob id of ``data`` (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


_PIXI_VERSION_RE = re.compile(rb"^version:\s*(\d+)", re.M)


def unreadable(fmt: str, data: bytes) -> str | None:
    """Why conda-guard's readers will not take this version, or ``None``."""
    if fmt == "pixi-lock":
        m = _PIXI_VERSION_RE.search(data[:4096])
        if not m or int(m.group(1)) < 4:
            return "pixi.lock older than v4"
    return None


def in_windows(date: str, windows: tuple[tuple[str, str], ...]) -> bool:
    return not windows or any(lo <= date <= hi for lo, hi in windows)


def collect(source: Source, mirror: Mirror) -> Built:
    """The pairs of ``source``, oldest first."""
    head = mirror.run("rev-parse", "HEAD").decode().strip()
    built = Built(source, head)
    log = mirror.run(
        "log",
        "--first-parent",
        "--format=%H%x00%P%x00%cs%x00%s",
        "--",
        source.path,
    ).decode()
    for line in reversed(log.splitlines()):
        commit, parents, date, subject = line.split("\0", 3)
        if not parents or not in_windows(date, source.windows):
            continue
        parent = parents.split()[0]
        before, after = (
            mirror.blob_id(parent, source.path),
            mirror.blob_id(commit, source.path),
        )
        if before is None or after is None or before == after:
            reason = "file added or deleted" if before != after else "no change"
            built.skipped[reason] = built.skipped.get(reason, 0) + 1
            continue
        old, new = mirror.blob(before), mirror.blob(after)
        why = unreadable(source.format, old) or unreadable(source.format, new)
        if why:
            built.skipped[why] = built.skipped.get(why, 0) + 1
            continue
        built.pairs.append(
            Pair(parent, commit, before, after, date, subject[:120], tags(old, new))
        )
        for blob in (before, after):
            if blob not in built.blobs:
                built.blobs.append(blob)
    return built


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _xz(data: bytes) -> bytes:
    return lzma.compress(data, format=lzma.FORMAT_XZ, preset=XZ_PRESET)


def write_archives(built: Built, mirror: Mirror, out: Path) -> None:
    """Write the blobs of ``built`` into one or more ``.tar.xz`` files."""
    members = []
    for blob in built.blobs:
        data = mirror.blob(blob)
        assert git_blob_id(data) == blob, blob
        members.append((blob, data))
    chunks = [members]
    while True:
        packed = [_xz(_tar(chunk)) for chunk in chunks]
        if all(len(p) <= MAX_ARCHIVE for p in packed):
            break
        n = len(chunks) + 1
        size = -(-len(members) // n)
        chunks = [members[i : i + size] for i in range(0, len(members), size)]
    for i, (chunk, data) in enumerate(zip(chunks, packed), start=1):
        name = (
            f"{built.source.id}.tar.xz"
            if len(chunks) == 1
            else f"{built.source.id}.{i}.tar.xz"
        )
        (out / name).write_bytes(data)
        built.archives.append(
            {
                "file": name,
                "bytes": len(data),
                "blobs": len(chunk),
                "raw_bytes": sum(len(d) for _, d in chunk),
            }
        )


def corpus_json(builds: list[Built]) -> dict[str, object]:
    return {
        "corpus_version": CORPUS_VERSION,
        "generator": "scripts/make_corpus.py",
        "sources": [
            {
                "id": b.source.id,
                "repo": b.source.repo,
                "path": b.source.path,
                "format": b.source.format,
                "license": b.source.license,
                "license_file": b.source.license_file,
                "mirror_head": b.head,
                "windows": [list(w) for w in b.source.windows],
                "why": b.source.why,
                "skipped": dict(sorted(b.skipped.items())),
                "archives": b.archives,
                "pairs": [p.to_json(b.source.id) for p in b.pairs],
            }
            for b in builds
        ],
    }


def sources_md(builds: list[Built]) -> str:
    total_pairs = sum(len(b.pairs) for b in builds)
    total_bytes = sum(int(a["bytes"]) for b in builds for a in b.archives)
    raw = sum(int(a["raw_bytes"]) for b in builds for a in b.archives)
    repos = sorted({b.source.repo for b in builds})
    lines = [
        "# Real-world corpus: sources",
        "",
        (
            "<!-- generated by scripts/make_corpus.py from the git mirrors; "
            "do not edit -->"
        ),
        "",
        (
            f"{total_pairs} consecutive before/after pairs of real lock files from "
            f"{len(repos)} public repositories, {len(builds)} file histories. A pair "
            "is the change one commit on the first-parent history made to the file "
            "(before = the file at the commit's first parent). The lock files are "
            "data (package URLs, hashes, dependency specs), copied byte for byte; "
            "each archive holds the distinct versions named by git blob id. "
            f"Compressed: {total_bytes:,} bytes for {raw:,} bytes of lock files."
        ),
        "",
        (
            "| source | repository | path | format | license | pairs | "
            "commit windows | archive bytes |"
        ),
        "|---|---|---|---|---|---|---|---|",
    ]
    for b in builds:
        s = b.source
        windows = ", ".join(f"{lo}…{hi}" for lo, hi in s.windows) or "all"
        size = sum(int(a["bytes"]) for a in b.archives)
        lines.append(
            f"| `{s.id}` | [{s.repo}](https://github.com/{s.repo}) | `{s.path}` | "
            f"{s.format} | {s.license} (`{s.license_file}`) | {len(b.pairs)} | "
            f"{windows} | {size:,} |"
        )
    counts: dict[str, int] = {}
    for b in builds:
        for p in b.pairs:
            for tag in p.tags:
                counts[tag] = counts.get(tag, 0) + 1
    lines += [
        "",
        "Changes among the pairs, from a textual scan of the package URLs "
        "(`scripts/corpus_tags.py`; hints for judging, not findings): "
        + ", ".join(f"{tag} {n}" for tag, n in sorted(counts.items()))
        + ".",
    ]
    lines += ["", "Mirror heads read:", ""]
    for repo in repos:
        head = next(b.head for b in builds if b.source.repo == repo)
        lines.append(f"- {repo}: `{head}`")
    for b in builds:
        s = b.source
        lines += ["", f"## `{s.id}`", "", f"{s.repo} `{s.path}` ({s.format}): {s.why}."]
        if b.skipped:
            skipped = ", ".join(f"{n} {k}" for k, n in sorted(b.skipped.items()))
            lines += ["", f"Commits in the windows giving no pair: {skipped}."]
        lines += [
            "",
            "| pair | date | before commit | after commit | changes | subject |",
            "|---|---|---|---|---|---|",
        ]
        for p in b.pairs:
            subject = p.subject.replace("|", "\\|").replace("`", "'")
            lines.append(
                f"| `{s.id}@{p.after_commit[:10]}` | {p.date} | "
                f"`{p.before_commit}` | `{p.after_commit}` | "
                f"{', '.join(p.tags)} | {subject} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", nargs="*", help="source ids to (re)list only")
    parser.add_argument(
        "--dry-run", action="store_true", help="list the pairs, write nothing"
    )
    args = parser.parse_args(argv)
    builds = []
    for source in SOURCES:
        if args.only and source.id not in args.only:
            continue
        git_dir = args.mirrors / source.repo.replace("/", "+") / "repo"
        if not git_dir.is_dir():
            print(f"{source.id}: no mirror at {git_dir}", file=sys.stderr)
            return 2
        mirror = Mirror(git_dir)
        built = collect(source, mirror)
        if not args.dry_run:
            args.out.mkdir(parents=True, exist_ok=True)
            write_archives(built, mirror, args.out)
        size = sum(int(a["bytes"]) for a in built.archives)
        print(
            f"{source.id}: {len(built.pairs)} pairs, {len(built.blobs)} blobs, "
            f"{size:,} bytes, skipped {built.skipped}"
        )
        builds.append(built)
    if args.dry_run or args.only:
        return 0
    for stale in set(args.out.glob("*.tar.xz")) - {
        args.out / str(a["file"]) for b in builds for a in b.archives
    }:
        stale.unlink()
    text = json.dumps(corpus_json(builds), indent=1, ensure_ascii=False) + "\n"
    (args.out / "corpus.json").write_text(text, encoding="utf-8")
    (args.out / "SOURCES.md").write_text(sources_md(builds), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
