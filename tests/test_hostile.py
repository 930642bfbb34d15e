"""Hostile input: every case ends in one line and exit 2, or in a documented warning.

Each case builds its input (mostly a real file from ../shared/data, damaged)
and runs ``python -m conda_guard`` in a subprocess limited to 200 MB of
address space (RLIMIT_AS) and 2 s of CPU (RLIMIT_CPU; a wall-clock timeout
catches a process that sleeps), with HOME, XDG_CACHE_HOME,
CONDA_GUARD_CACHE_DIR and TMPDIR inside the test's directory and an empty
working directory. The test then checks: the exit status, no traceback, the
message (one line naming the input), and that no file appeared outside the
cache directory. Limits and warnings are documented in docs/cli.md.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from conda_guard.binaries.cache import CACHE_SCHEMA, cache_path, file_key
from conda_guard.readers import source, yaml_loader

from .helpers import DATA, ROOT, needs_data

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = needs_data

MEMORY = 200 * 2**20
CPU_SECONDS = 2
PREFIXES = DATA / "prefixes"
CHEMTOOLS = PREFIXES / "chemtools-win64-mkl-openssl-downgrade"
ENVFILES = DATA / "envfiles"
EXPLICIT = ENVFILES / "explicit" / "rattler-python-explicit-env-linux-64.txt"
CONDA_LOCK = ENVFILES / "conda-lock" / "conda-lock-blas-mkl.conda-lock.yml"
PIXI_LOCK = ENVFILES / "pixi-lock" / "pixi-example-lightgbm.v5.pixi.lock"
EXPORT = ENVFILES / "environment-yml" / "rxn-splits-mchn2.export-with-builds.yml"
LIST_JSON = ROOT / "tests" / "data" / "conda26-list-json.ml-env.json"


@dataclass
class Case:
    """A hostile input: ``make(work)`` writes it and returns the arguments."""

    id: str
    make: Callable[[Path], list[str]]
    expect: str = "error"  # "error": exit 2, one line; "warning"/"ok": exit 0 or 1
    match: str = ""  # in the error line, or the warning in stdout
    stdin: Callable[[Path], bytes] | None = None
    names_input: bool = True  # the error line names the input file
    env: dict[str, str] = field(default_factory=dict)


def _ok(work: Path) -> str:
    """A small valid state to diff against."""
    path = work / "ok.txt"
    path.write_bytes(EXPLICIT.read_bytes())
    return str(path)


def _write(work: Path, name: str, data: bytes | str) -> str:
    path = work / name
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return str(path)


def _prefix(work: Path, records: dict[str, object], history: str | None = None) -> str:
    """A prefix of chemtools' real records, some replaced or damaged."""
    meta = work / "env" / "conda-meta"
    meta.mkdir(parents=True)
    for src in (CHEMTOOLS / "conda-meta").glob("*.json"):
        (meta / src.name).write_bytes(src.read_bytes())
    for name, data in records.items():
        text = data if isinstance(data, str) else json.dumps(data)
        (meta / name).write_text(text)
    if history is not None:
        (meta / "history").write_text(history)
    return str(meta.parent)


def _record(**changes: object) -> dict[str, object]:
    data = json.loads(
        (CHEMTOOLS / "conda-meta" / "mkl-2022.1.0-h6a75c08_874.json").read_text()
    )
    for key, value in changes.items():
        if value is _DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return data


_DROP = object()


def _bomb(levels: int = 9, width: int = 9) -> str:
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def _explicit_lines(count: int) -> bytes:
    template = (
        "https://conda.anaconda.org/conda-forge/noarch/pkg{}-1.0-pyhd8ed1ab_0.conda\n"
    )
    return ("@EXPLICIT\n" + "".join(template.format(i) for i in range(count))).encode()


def _sparse(work: Path, name: str, head: bytes, size: int) -> str:
    path = work / name
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(size)
    return str(path)


def _history_prefix(work: Path, history: str) -> str:
    return _prefix(work, {}, history)


HEAD = "==> 2022-11-01 18:19:54 <==\n# cmd: conda install x\n"


TRUE = shutil.which("true") or "/bin/true"


def _binary_prefix(work: Path) -> Path:
    """A prefix with one real ELF executable, listed in its conda-meta record."""
    env = work / "env"
    (env / "bin").mkdir(parents=True)
    (env / "conda-meta").mkdir()
    shutil.copy2(TRUE, env / "bin" / "tool")
    record = {"name": "tool", "version": "1", "build": "0", "subdir": "linux-64"}
    (env / "conda-meta" / "tool-1-0.json").write_text(
        json.dumps(dict(record, files=["bin/tool"]))
    )
    return env


def _poisoned(
    entry: Callable[[list[object]], object] | None = None, raw: str | None = None
) -> Callable[[Path], list[str]]:
    """``check`` of a prefix whose binary cache file holds ``entry`` (or ``raw``)."""

    def make(work: Path) -> list[str]:
        env = _binary_prefix(work)
        cache_file = cache_path(work.parent / "cache" / "conda-guard", env)
        cache_file.parent.mkdir(parents=True)
        if raw is not None:
            cache_file.write_text(raw)
        else:
            assert entry is not None
            key = file_key(env / "bin" / "tool", follow=False)
            doc = {
                "schema": CACHE_SCHEMA,
                "root": os.path.abspath(env),
                "files": {"bin/tool": entry(key)},
            }
            cache_file.write_text(json.dumps(doc))
        return ["check", str(env)]

    return make


def _big_cache(work: Path) -> list[str]:
    """A 300 MB cache file (sparse): ignored by its size, never loaded."""
    env = _binary_prefix(work)
    cache_file = cache_path(work.parent / "cache" / "conda-guard", env)
    cache_file.parent.mkdir(parents=True)
    with open(cache_file, "wb") as stream:
        stream.write(b'{"schema": 2, "files": {')
        stream.truncate(300 * 2**20)
    return ["check", str(env)]


CASES = [
    # 1. YAML alias bombs and other YAML shapes
    Case(
        "alias-bomb-env-yml",
        lambda w: [
            "diff",
            _write(w, "env.yml", _bomb() + "dependencies: [*l8]\n"),
            _ok(w),
        ],
        match="alias bomb",
    ),
    Case(
        "alias-bomb-conda-lock",
        lambda w: [
            "diff",
            _write(
                w,
                "conda-lock.yml",
                "version: 1\nmetadata: {}\n" + _bomb() + "package: *l8\n",
            ),
            _ok(w),
        ],
        match="alias bomb",
    ),
    Case(
        "alias-bomb-pixi-lock",
        lambda w: [
            "diff",
            _write(
                w,
                "pixi.lock",
                "version: 6\nenvironments: {}\n" + _bomb() + "packages: *l8\n",
            ),
            _ok(w),
        ],
        match="alias bomb",
    ),
    Case(
        "yaml-too-many-nodes",
        lambda w: [
            "diff",
            "--format",
            "env-yaml",
            _write(w, "env.yml", "dependencies: [" + "0," * 300_001 + "]\n"),
            _ok(w),
        ],
        match="YAML nodes",
    ),
    Case(
        "yaml-deep",
        lambda w: ["diff", _write(w, "env.yml", "dependencies: " + "[" * 5000), _ok(w)],
        match="nest",
    ),
    Case(
        "yaml-duplicate-key",
        lambda w: [
            "diff",
            _write(w, "env.yml", EXPORT.read_text() + "\ndependencies: []\n"),
            _ok(w),
        ],
        match="duplicate key 'dependencies'",
    ),
    # 2. absurd sizes
    Case(
        "explicit-200MB-one-line",
        lambda w: [
            "diff",
            _sparse(w, "big.txt", b"@EXPLICIT\nhttps://", 200_000_000),
            _ok(w),
        ],
        match="state files are limited to 32 MiB",
    ),
    Case(
        "explicit-1M-lines",
        lambda w: ["diff", _write(w, "lines.txt", _explicit_lines(1_000_000)), _ok(w)],
        match="state files are limited to 32 MiB",
    ),
    Case(
        "explicit-25k-packages",
        lambda w: ["diff", _write(w, "many.txt", _explicit_lines(25_000)), _ok(w)],
        match="more than 20,000 packages",
    ),
    Case(
        "explicit-2MB-line",
        lambda w: [
            "diff",
            _write(
                w, "long.txt", b"@EXPLICIT\nhttps://x/" + b"a" * 2_000_000 + b".conda\n"
            ),
            _ok(w),
        ],
        match="line longer than 1 MiB",
    ),
    Case(
        "dev-zero",
        lambda w: ["diff", "--format", "explicit", "/dev/zero", _ok(w)],
        match="limited to 32 MiB",
    ),
    Case(
        "stdin-40MB",
        lambda w: ["diff", "-", _ok(w)],
        stdin=lambda w: b"@EXPLICIT\n" + b"#" * 40_000_000,
        match="<stdin>: is larger than the limit",
    ),
    Case(
        "history-2MB-line",
        lambda w: [
            "check",
            _history_prefix(w, HEAD + "# cmd: " + "x" * 2_000_000 + "\n"),
        ],
        match="line longer than 1 MiB",
    ),
    # 3. numbers and names the system refuses
    Case(
        "conda-meta-5000-digit-int",
        lambda w: [
            "check",
            _prefix(
                w,
                {
                    "mkl-2022.1.0-h6a75c08_874.json": '{"build_number": '
                    + "9" * 5000
                    + "}"
                },
            ),
        ],
        match="a number with too many digits",
    ),
    Case(
        "conda-list-json-5000-digit-int",
        lambda w: [
            "diff",
            _write(
                w,
                "list.json",
                LIST_JSON.read_text().replace(
                    '"build_number": 0', '"build_number": ' + "1" * 5000, 1
                ),
            ),
            _ok(w),
        ],
        match="a number with too many digits",
    ),
    Case(
        "conda-meta-deep-json",
        lambda w: [
            "check",
            _prefix(w, {"mkl-2022.1.0-h6a75c08_874.json": "[" * 200_000}),
        ],
        match="invalid JSON",
    ),
    Case(
        "prefix-at-6000-digits",
        lambda w: ["diff", _prefix(w, {}) + "@" + "9" * 6000, _ok(w)],
        match="no revision 999999999999… (the number is too large)",
    ),
    Case(
        "path-component-300-bytes",
        lambda w: ["diff", str(w / ("a" * 300) / "x.txt"), _ok(w)],
        match="file name too long",
    ),
    Case(
        "prefix-300-bytes",
        lambda w: ["check", "-p", str(w / ("é" * 150))],
        match="file name too long",
    ),
    Case(
        "symlink-loop",
        lambda w: (os.symlink("loop", w / "loop"), ["diff", str(w / "loop"), _ok(w)])[
            1
        ],
        match="cannot read",
    ),
    Case(
        "escape-in-file-name",
        lambda w: ["diff", _write(w, "bad\x1b[31m\x07.txt", "nothing"), _ok(w)],
        match="bad\\x1b[31m\\x07.txt: unknown format",
        names_input=False,
    ),
    Case(
        "env-name-path",
        lambda w: ["check", "-n", "../../etc"],
        match="not an environment name",
        names_input=False,
    ),
    # usage errors: one line, not the whole usage
    Case(
        "argparse-unknown-option",
        lambda w: ["diff", "--bogus"],
        match="unrecognized arguments: --bogus",
        names_input=False,
    ),
    Case(
        "argparse-bad-choice",
        lambda w: ["diff", "a", "b", "--fail-on", "nope"],
        match="invalid choice",
        names_input=False,
    ),
    Case(
        "argparse-no-command",
        lambda w: [],
        match="required: COMMAND",
        names_input=False,
    ),
    Case(
        "allow-bad-spec",
        lambda w: ["diff", _ok(w), _ok(w), "--allow", "numpy["],
        match="--allow 'numpy[': invalid match spec",
        names_input=False,
    ),
    Case(
        "prefix-from-stdin",
        lambda w: ["diff", "-", _ok(w), "--before-format", "prefix"],
        match="a prefix is a directory: it cannot be read from '-'",
        names_input=False,
    ),
    Case(
        "both-stdin",
        lambda w: ["diff", "-", "-"],
        match="only one of BEFORE and AFTER",
        names_input=False,
    ),
    # 4. records the guard would otherwise read wrong
    Case(
        "record-without-build",
        lambda w: [
            "check",
            _prefix(w, {"mkl-2022.1.0-h6a75c08_874.json": _record(build=_DROP)}),
        ],
        match="not a package record (no 'build')",
    ),
    Case(
        "version-as-number",
        lambda w: [
            "check",
            _prefix(w, {"mkl-2022.1.0-h6a75c08_874.json": _record(version=2022.1)}),
        ],
        match="'version' is float 2022.1, not a string",
    ),
    Case(
        "depends-of-integers",
        lambda w: [
            "check",
            _prefix(w, {"mkl-2022.1.0-h6a75c08_874.json": _record(depends=[1, 2])}),
        ],
        match="'depends' holds 1; expected a list of strings",
    ),
    Case(
        "depends-null",
        lambda w: [
            "check",
            _prefix(w, {"mkl-2022.1.0-h6a75c08_874.json": _record(depends=None)}),
        ],
        match="'depends' holds None; expected a list of strings",
    ),
    Case(
        "build-number-zero",
        lambda w: [
            "check",
            _prefix(
                w, {"mkl-2022.1.0-h6a75c08_874.json": _record(build_number="zero")}
            ),
        ],
        match="'build_number' is 'zero', not an integer",
    ),
    Case(
        "two-records-conda-meta",
        lambda w: [
            "check",
            _prefix(
                w,
                {
                    "mkl-2021.4.0-h0e2418a_729.json": _record(
                        version="2021.4.0", build="h0e2418a_729"
                    )
                },
            ),
        ],
        match="two records for 'mkl'",
    ),
    Case(
        "two-records-explicit",
        lambda w: [
            "diff",
            _write(
                w,
                "twice.txt",
                EXPLICIT.read_text() + EXPLICIT.read_text().splitlines()[-1] + "\n",
            ),
            _ok(w),
        ],
        match="two records for",
    ),
    Case(
        "conda-lock-no-packages-for-platform",
        lambda w: [
            "diff",
            "--platform",
            "win-64",
            _write(
                w,
                "conda-lock.yml",
                CONDA_LOCK.read_text().replace(
                    "platform: win-64", "platform: linux-64"
                ),
            ),
            _ok(w),
        ],
        match="no packages for platform 'win-64'",
    ),
    Case(
        "pixi-lock-v3",
        lambda w: [
            "diff",
            _write(
                w,
                "pixi.lock",
                CONDA_LOCK.read_text().replace("\nversion: 1", "\nversion: 3"),
            ),
            _ok(w),
        ],
        match="pixi.lock version 3 is not supported (4–7 are",
    ),
    Case(
        "pixi-lock-v8",
        lambda w: [
            "diff",
            _write(
                w,
                "pixi.lock",
                PIXI_LOCK.read_text().replace("version: 5", "version: 8", 1),
            ),
            _ok(w),
        ],
        match="pixi.lock version 8 is not supported (4–7 are)",
    ),
    Case(
        "not-utf8-explicit",
        lambda w: ["diff", _write(w, "latin1.txt", b"@EXPLICIT\n# caf\xe9\n"), _ok(w)],
        match="not UTF-8 text",
    ),
    Case(
        "corrupt-json-prefix",
        lambda w: ["check", str(PREFIXES / "conda-corrupt-json")],
        match="invalid JSON",
    ),
    Case(
        "junk-history",
        lambda w: [
            "diff",
            str(PREFIXES / "mamba-history-junk-segfault") + "@0",
            _ok(w),
        ],
        match="bad revision header date 'x'",
    ),
    # warnings: read, and said
    Case(
        "empty-history",
        lambda w: ["check", _history_prefix(w, "")],
        expect="warning",
        match="the history has no revisions; requested specs are unknown",
    ),
    Case(
        "history-says-130-conda-meta-6",
        lambda w: [
            "check",
            _prefix(w, {}, (CHEMTOOLS / "conda-meta" / "history").read_text()),
        ],
        expect="warning",
        match="has 130 packages, conda-meta 6",
    ),
    # 7. stdin and pipes are read once
    Case(
        "explicit-from-stdin",
        lambda w: ["diff", "-", _ok(w)],
        expect="ok",
        stdin=lambda w: EXPLICIT.read_bytes(),
    ),
    Case(
        "explicit-from-dev-stdin",
        lambda w: ["diff", "/dev/stdin", _ok(w)],
        expect="ok",
        stdin=lambda w: EXPLICIT.read_bytes(),
    ),
    # 8. the binary cache: a corrupt entry is dropped, never trusted or fatal
    *(
        Case(f"cache-{name}", _poisoned(entry), expect="ok")
        for name, entry in {
            "entry-without-info": lambda k: {"key": k, "kind": "binary"},
            "info-empty": lambda k: {"key": k, "kind": "binary", "info": {}},
            "info-a-string": lambda k: {"key": k, "kind": "binary", "info": "elf"},
            "needed-5": lambda k: {
                "key": k,
                "kind": "binary",
                "info": {"format": "elf", "needed": 5},
            },
            "version-needs-malformed": lambda k: {
                "key": k,
                "kind": "binary",
                "info": {"format": "elf", "version_needs": [["libc.so.6"]]},
            },
            "kind-a-list": lambda k: {"key": k, "kind": ["binary"]},
            "key-of-size-and-mtime-only": lambda k: {
                "size": k[0],
                "mtime_ns": k[1],
                "kind": "none",
            },
            "numpy-api-malformed": lambda k: {"key": k, "numpy_api": [1, {}, 2]},
        }.items()
    ),
    Case(
        "cache-deep-nesting",
        _poisoned(raw='{"schema": 2, "files": ' + "[" * 200_000 + "]" * 200_000 + "}"),
        expect="ok",
    ),
    Case("cache-not-json", _poisoned(raw="\x00\xff{"), expect="ok"),
    Case("cache-300-mb", _big_cache, expect="ok"),
    Case(
        "cache-dir-relative",
        lambda w: ["check", str(_binary_prefix(w)), "--json"],
        expect="warning",
        match="CONDA_GUARD_CACHE_DIR='relcache' is not an absolute path",
        env={"CONDA_GUARD_CACHE_DIR": "relcache"},
    ),
    Case(
        "pixi-lock-from-stdin",
        lambda w: ["diff", "-", "-", "--format", "pixi-lock"][:2] + [str(PIXI_LOCK)],
        expect="ok",
        stdin=lambda w: PIXI_LOCK.read_bytes(),
    ),
]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def run_hostile(case: Case, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    work, cache, home, tmp, cwd = (
        tmp_path / d for d in ("in", "cache", "home", "tmp", "cwd")
    )
    for d in (work, cache, home, tmp, cwd):
        d.mkdir(parents=True)
    argv = case.make(work)
    data = case.stdin(work) if case.stdin else b""
    before = _tree(tmp_path)
    resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(cache),
        "CONDA_GUARD_CACHE_DIR": str(cache / "conda-guard"),
        "TMPDIR": str(tmp),
        "NO_COLOR": "1",
        **case.env,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "conda_guard", *argv],
        input=data,
        capture_output=True,
        cwd=cwd,
        env=env,
        preexec_fn=_limits,
        timeout=60,
        check=False,
    )
    appeared = {
        p for p in _tree(tmp_path) - before if cache not in p.parents and p != cache
    }
    assert not appeared, f"written outside the cache directory: {sorted(appeared)}"
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path: Path) -> None:
    proc = run_hostile(case, tmp_path)
    assert proc.returncode != -24, "more than 2 s of CPU (SIGXCPU)"
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "MemoryError" not in proc.stderr, proc.stderr
    if case.expect == "error":
        lines = proc.stderr.splitlines()
        assert proc.returncode == 2, proc.stderr
        assert len(lines) == 1, proc.stderr
        assert lines[0].startswith("conda-guard"), lines[0]
        assert ": error: " in lines[0]
        assert case.match in lines[0], lines[0]
        assert len(lines[0]) < 700
        if case.names_input:
            assert (
                str(tmp_path) in lines[0]
                or "<stdin>" in lines[0]
                or "/dev/" in lines[0]
                or str(DATA) in lines[0]
            ), lines[0]
    else:
        assert proc.returncode in (0, 1), proc.stderr
        assert proc.stderr == "", proc.stderr
        if case.expect == "warning":
            assert case.match in proc.stdout, proc.stdout


def test_warnings_reach_the_json_report(tmp_path: Path) -> None:
    case = Case(
        "json", lambda w: ["check", _history_prefix(w, ""), "--json"], expect="warning"
    )
    proc = run_hostile(case, tmp_path)
    warnings = json.loads(proc.stdout)["warnings"]
    assert any("the history has no revisions" in w for w in warnings), warnings


def test_stdin_reads_what_the_file_reads(tmp_path: Path) -> None:
    by_path = run_hostile(
        Case(
            "path",
            lambda w: ["diff", str(EXPLICIT), str(PIXI_LOCK), "--json"],
            expect="ok",
        ),
        tmp_path / "a",
    )
    by_stdin = run_hostile(
        Case(
            "stdin",
            lambda w: ["diff", "-", str(PIXI_LOCK), "--json"],
            expect="ok",
            stdin=lambda w: EXPLICIT.read_bytes(),
        ),
        tmp_path / "b",
    )
    a, b = json.loads(by_path.stdout), json.loads(by_stdin.stdout)
    assert b["before"]["source"] == "<stdin>"
    assert a["changes"] == b["changes"] and a["findings"] == b["findings"]


def test_limits_are_the_documented_ones() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"| {source.MAX_INPUT_BYTES // 2**20} MiB |" in text
    assert f"| {source.MAX_PACKAGES:,} |" in text
    assert f"| {source.MAX_LINE_BYTES // 2**20} MiB |" in text
    assert (
        f"{yaml_loader.MAX_NODES:,} nodes, nested {yaml_loader.MAX_DEPTH} levels, "
        f"aliases adding at most {yaml_loader.MAX_ALIAS_EXPANSION:,} nodes"
    ) in text


# --- an unexpected exception: exit 3, one line, the traceback on request ------


def _crash(args):
    raise ZeroDivisionError("a bug\nwith two lines")


@pytest.mark.parametrize("verbose", ["", "-v", "env"])
def test_internal_error_exits_3(monkeypatch, capsys, verbose):
    from conda_guard import cli, commands

    monkeypatch.setitem(commands.COMMANDS, "check", _crash)
    monkeypatch.delenv("CONDA_GUARD_DEBUG", raising=False)
    argv = ["check", "somewhere"]
    if verbose == "-v":
        argv.append("-v")
    elif verbose == "env":
        monkeypatch.setenv("CONDA_GUARD_DEBUG", "1")
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 3
    last = err.splitlines()[-1]
    assert last.startswith(
        "conda-guard: internal error: ZeroDivisionError: a bug\\x0awith two lines"
    )
    if verbose:
        assert "Traceback (most recent call last)" in err
    else:
        assert err.count("\n") == 1
        assert "-v or CONDA_GUARD_DEBUG=1 shows the traceback" in last


def test_top_level_verbose_flag(monkeypatch, capsys):
    from conda_guard import cli, commands

    monkeypatch.setitem(commands.COMMANDS, "check", _crash)
    monkeypatch.delenv("CONDA_GUARD_DEBUG", raising=False)
    assert cli.main(["-v", "check", "x"]) == 3
    assert "Traceback" in capsys.readouterr().err
