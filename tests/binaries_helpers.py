"""Build tiny real shared objects, package them as ``.conda``, install them.

Everything is real: ``cc``/``c++`` compile the objects, conda-package-handling
writes the ``.conda`` archives (``info/index.json``, ``info/paths.json``,
``info/files`` and the payload) and extracts them, and "installing" copies the
payload into a prefix and writes ``conda-meta/<dist>.json`` with ``files``, as
conda does. The extracted directory is what conda's package cache holds, so it
serves as the ``incoming`` directory of :func:`conda_guard.binaries.check_links`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conda_guard.models import Record, State

if TYPE_CHECKING:
    from typing import Any

CC = shutil.which("cc")
CXX = shutil.which("c++")
READELF = shutil.which("readelf")

needs_cc = [
    pytest.mark.cc,
    pytest.mark.skipif(CC is None, reason="no C compiler ('cc') on PATH"),
]
needs_cxx = [
    pytest.mark.cc,
    pytest.mark.skipif(
        CC is None or CXX is None, reason="no C/C++ compiler ('cc', 'c++') on PATH"
    ),
]


def _cph() -> Any:
    """conda-package-handling's API, or a skip of the test that needs it."""
    return pytest.importorskip(
        "conda_package_handling.api",
        reason="conda-package-handling is not installed (it writes the test packages)",
    )


def with_cc(test):
    """Mark ``test`` as needing ``cc`` (skipped with a reason without it)."""
    for mark in needs_cc:
        test = mark(test)
    return test


def with_cxx(test):
    """Mark ``test`` as needing ``cc`` and ``c++`` (skipped without them)."""
    for mark in needs_cxx:
        test = mark(test)
    return test


@dataclass(frozen=True)
class Link:
    """A symbolic link in a package payload."""

    target: str


def compile_so(
    out: Path,
    source: str,
    *,
    soname: str | None = None,
    cxx: bool = False,
    libs: tuple[str, ...] = (),
    libdirs: tuple[Path, ...] = (),
    rpath: str | None = "$ORIGIN/../lib",
    version_script: str | None = None,
    executable: bool = False,
    flags: tuple[str, ...] = (),
) -> Path:
    """Compile ``source`` into a shared object (or executable) at ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".cpp" if cxx else ".c"
    src = out.with_name(out.name + suffix)
    src.write_text(source)
    cmd = [CXX if cxx else CC, "-O1", "-o", str(out), str(src), *flags]
    if not executable:
        cmd[2:2] = ["-shared", "-fPIC"]
    if soname:
        cmd.append(f"-Wl,-soname,{soname}")
    if rpath:
        cmd.append(f"-Wl,-rpath,{rpath}")
    if version_script is not None:
        script = out.with_name(out.name + ".map")
        script.write_text(version_script)
        cmd.append(f"-Wl,--version-script,{script}")
    cmd += [f"-L{d}" for d in libdirs] + [f"-l{lib}" for lib in libs]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    src.unlink()
    return out


def stub_libstdcxx(out: Path, glibcxx_up_to: int, cxxabi_up_to: int) -> Path:
    """A stand-in ``libstdc++.so.6`` defining GLIBCXX_3.4..3.4.N and CXXABI_1.3..1.3.M.

    The version nodes are chained like the real library's; each defines one
    dummy symbol so the linker keeps it.
    """
    names = ["GLIBCXX_3.4"] + [f"GLIBCXX_3.4.{n}" for n in range(1, glibcxx_up_to + 1)]
    names += ["CXXABI_1.3"] + [f"CXXABI_1.3.{n}" for n in range(1, cxxabi_up_to + 1)]
    symbols = {name: "sym_" + name.replace(".", "_") for name in names}
    source = "\n".join(f"void {sym}(void) {{}}" for sym in symbols.values())
    nodes, previous = [], None
    for name in names:
        if name == "CXXABI_1.3":
            previous = None
        parent = f" {previous}" if previous else ""
        nodes.append(f"{name} {{ global: {symbols[name]}; }}{parent};")
        previous = name
    return compile_so(
        out,
        source,
        soname="libstdc++.so.6",
        rpath=None,
        version_script="\n".join(nodes) + "\n",
    )


def readelf_needs(path: Path, library: str) -> set[str]:
    """Symbol versions ``path`` needs from ``library``, from binutils' readelf."""
    out = subprocess.run(
        [READELF or "readelf", "-V", "-W", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    needs, current = set(), None
    for line in out.splitlines():
        line = line.strip()
        if "File:" in line:
            current = line.split("File:")[1].split()[0]
        elif "Name:" in line and current == library:
            needs.add(line.split("Name:")[1].split()[0])
    return needs


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_package(
    out_dir: Path,
    name: str,
    version: str,
    build: str,
    files: dict[str, Path | bytes | Link],
    *,
    depends: tuple[str, ...] = (),
    build_number: int = 0,
    timestamp: int = 1764300000000,
) -> Path:
    """Write ``name-version-build.conda`` into ``out_dir`` and return its path."""
    stage = out_dir / f".stage-{name}-{version}-{build}"
    if stage.exists():
        shutil.rmtree(stage)
    paths = []
    for rel, content in sorted(files.items()):
        dest = stage / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            os.symlink(content.target, dest)
            paths.append({"_path": rel, "path_type": "softlink"})
            continue
        if isinstance(content, Path):
            shutil.copy2(content, dest)
        else:
            dest.write_bytes(content)
        paths.append(
            {
                "_path": rel,
                "path_type": "hardlink",
                "sha256": _sha256(dest),
                "size_in_bytes": dest.stat().st_size,
            }
        )
    info = stage / "info"
    info.mkdir()
    index = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": build_number,
        "depends": list(depends),
        "subdir": "linux-64",
        "platform": "linux",
        "arch": "x86_64",
        "license": "BSD-3-Clause",
        "timestamp": timestamp,
    }
    (info / "index.json").write_text(json.dumps(index, indent=2))
    (info / "paths.json").write_text(
        json.dumps({"paths": paths, "paths_version": 1}, indent=2)
    )
    (info / "files").write_text("".join(p["_path"] + "\n" for p in paths))
    file_list = [p["_path"] for p in paths] + [
        "info/index.json",
        "info/paths.json",
        "info/files",
    ]
    api = _cph()
    out_fn = f"{name}-{version}-{build}.conda"
    api.create(str(stage), file_list, out_fn, str(out_dir))
    shutil.rmtree(stage)
    return out_dir / out_fn


def make_libfoo_channel(sub: Path, objs: Path) -> None:
    """``libfoo`` 1.2 (``libfoo.so.1``) and 2.0 (``libfoo.so.2``) and ``app``
    linking ``libfoo.so.1``, compiled under ``objs``, as packages in the
    channel directory ``sub``."""
    lib1 = compile_so(
        objs / "v1" / "libfoo.so.1.2.0", LIBFOO_C, soname="libfoo.so.1", rpath=None
    )
    (objs / "v1" / "libfoo.so").symlink_to("libfoo.so.1.2.0")
    lib2 = compile_so(
        objs / "v2" / "libfoo.so.2.0.0", LIBFOO_C, soname="libfoo.so.2", rpath=None
    )
    app = compile_so(
        objs / "app", APP_C, executable=True, libs=("foo",), libdirs=(objs / "v1",)
    )
    make_package(
        sub,
        "libfoo",
        "1.2",
        "h1_0",
        {"lib/libfoo.so.1.2.0": lib1, "lib/libfoo.so.1": Link("libfoo.so.1.2.0")},
    )
    make_package(
        sub,
        "libfoo",
        "2.0",
        "h2_0",
        {"lib/libfoo.so.2.0.0": lib2, "lib/libfoo.so.2": Link("libfoo.so.2.0.0")},
    )
    make_package(sub, "app", "1.0", "h0_0", {"bin/app": app}, depends=("libfoo",))


def index_channel(channel: Path) -> Path:
    """Index ``channel`` with conda-index (as conda reads a local channel)."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "conda_index", str(channel)],
        check=True,
        capture_output=True,
    )
    return channel


def extract(package: Path, pkgs_dir: Path) -> Path:
    """Extract a ``.conda`` into ``pkgs_dir/<dist>/``, as conda's package cache does."""
    api = _cph()
    dest = pkgs_dir / package.name[: -len(".conda")]
    api.extract(str(package), str(dest))
    return dest


def install(extracted: Path, prefix: Path, channel: str = "local") -> Record:
    """Link an extracted package into ``prefix``; write its ``conda-meta`` record."""
    index = json.loads((extracted / "info" / "index.json").read_text())
    paths = json.loads((extracted / "info" / "paths.json").read_text())["paths"]
    for entry in paths:
        src, dest = extracted / entry["_path"], prefix / entry["_path"]
        dest.parent.mkdir(parents=True, exist_ok=True)
        if entry.get("path_type") == "softlink":
            os.symlink(os.readlink(src), dest)
        else:
            shutil.copy2(src, dest)
    files = [entry["_path"] for entry in paths]
    dist = f"{index['name']}-{index['version']}-{index['build']}"
    meta = dict(
        index,
        channel=channel,
        fn=f"{dist}.conda",
        files=files,
        extracted_package_dir=str(extracted),
    )
    (prefix / "conda-meta").mkdir(parents=True, exist_ok=True)
    (prefix / "conda-meta" / f"{dist}.json").write_text(json.dumps(meta, indent=2))
    return record_of(index, files=files, channel=channel)


def record_of(index: dict, *, files: list[str] | tuple[str, ...] = (), channel="local"):
    """A Record from an ``index.json`` (what a solver gives for an incoming one)."""
    return Record(
        name=index["name"],
        version=index["version"],
        build=index["build"],
        build_number=index.get("build_number", 0),
        channel=channel,
        subdir=index.get("subdir", ""),
        depends=tuple(index.get("depends", ())),
        fn=f"{index['name']}-{index['version']}-{index['build']}.conda",
        files=tuple(files),
    )


def incoming_record(extracted: Path) -> Record:
    """The record of an extracted (not yet linked) package, without files."""
    return record_of(json.loads((extracted / "info" / "index.json").read_text()))


def make_state(*records: Record, prefix: Path | None = None) -> State:
    """A State of these records (the prefix reader's shape, built by hand)."""
    return State.from_records(
        records,
        source=str(prefix) if prefix else "test",
        kind="prefix" if prefix else "test",
        prefix=str(prefix) if prefix else None,
    )


def snapshot(tree: Path) -> dict[str, tuple[int, int]]:
    """Path → (size, mtime_ns) of everything under ``tree`` (to prove no writes)."""
    out = {}
    for root, dirs, files in os.walk(tree):
        for name in dirs + files:
            path = Path(root) / name
            st = os.lstat(path)
            out[str(path.relative_to(tree))] = (st.st_size, st.st_mtime_ns)
    return out


APP_C = """
extern int foo(void);
int main(void) { return foo() == 1 ? 0 : 1; }
"""
LIBAPP_C = """
extern int foo(void);
int app_foo(void) { return foo() + 1; }
"""
LIBFOO_C = "int foo(void) { return 1; }\n"
CXX_SRC = """
#include <string>
#include <vector>
int at(const std::vector<int>& v, int i) { return v[i]; }
std::string name(int n) { return std::to_string(n); }
"""
NUMPY1_EXT_C = """
/* what numpy 1.x's __multiarray_api.h makes import_array() embed */
static const char *numpy_module = "numpy.core._multiarray_umath";
static const char *capsule = "_ARRAY_API";
extern int foo(void);
const char *npext_module(int c) { return c ? capsule : numpy_module; }
int npext_foo(void) { return foo(); }
"""
NUMPY2_EXT_C = """
/* numpy >= 2.0 headers try numpy._core first, then fall back */
static const char *m2 = "numpy._core._multiarray_umath";
static const char *m1 = "numpy.core._multiarray_umath";
static const char *capsule = "_ARRAY_API";
const char *np2ext_module(int old) { return old > 1 ? capsule : old ? m1 : m2; }
"""


@dataclass
class World:
    """Compiled objects and extracted packages, built once per test module."""

    root: Path
    objects: dict[str, Path]
    packages: dict[str, Path]  # "name-version" → extracted package directory

    def prefix(self, path: Path, *keys: str) -> tuple[Path, dict[str, Record]]:
        """A prefix at ``path`` with these packages installed."""
        path.mkdir(parents=True, exist_ok=True)
        records = {}
        for key in keys:
            record = install(self.packages[key], path)
            records[record.name] = record
        return path, records

    def incoming(self, key: str) -> tuple[Record, Path]:
        """The record (no files, as a solver gives it) and extracted dir of ``key``."""
        return incoming_record(self.packages[key]), self.packages[key]


def build_world(root: Path, *, cxx: bool = True) -> World:
    """Compile the objects and build + extract every test package under ``root``."""
    objs = root / "objects"
    o: dict[str, Path] = {}
    o["libfoo1"] = compile_so(
        objs / "v1" / "libfoo.so.1.2.0", LIBFOO_C, soname="libfoo.so.1", rpath=None
    )
    (objs / "v1" / "libfoo.so").symlink_to("libfoo.so.1.2.0")
    o["libfoo2"] = compile_so(
        objs / "v2" / "libfoo.so.2.0.0", LIBFOO_C, soname="libfoo.so.2", rpath=None
    )
    link1 = dict(libs=("foo",), libdirs=(objs / "v1",))
    o["app"] = compile_so(objs / "app", APP_C, executable=True, **link1)
    o["libapp"] = compile_so(objs / "libapp.so", LIBAPP_C, soname="libapp.so", **link1)
    o["npext"] = compile_so(
        objs / "_core.cpython-311-x86_64-linux-gnu.so",
        NUMPY1_EXT_C,
        rpath="$ORIGIN/../../..",
        **link1,
    )
    o["np2ext"] = compile_so(
        objs / "_np2.cpython-311-x86_64-linux-gnu.so", NUMPY2_EXT_C, rpath=None
    )
    if cxx:
        o["cxx"] = compile_so(
            objs / "libcxxuser.so",
            CXX_SRC,
            cxx=True,
            soname="libcxxuser.so",
            flags=("-D_GLIBCXX_ASSERTIONS",),
        )
        o["stdcxx_old"] = stub_libstdcxx(objs / "old" / "libstdc++.so.6.0.20", 20, 8)
        o["stdcxx_new"] = stub_libstdcxx(objs / "new" / "libstdc++.so.6.0.33", 33, 15)
        o["stdcxx_today"] = stub_libstdcxx(
            objs / "today" / "libstdc++.so.6.0.30", 30, 13
        )

    out, pkgs = root / "channel", root / "pkgs"
    out.mkdir()
    pkgs.mkdir()
    specs: dict[str, tuple] = {
        "libfoo-1.2": (
            "libfoo",
            "1.2",
            "h1_0",
            {
                "lib/libfoo.so.1.2.0": o["libfoo1"],
                "lib/libfoo.so.1": Link("libfoo.so.1.2.0"),
                "lib/libfoo.so": Link("libfoo.so.1"),
            },
            (),
        ),
        "libfoo-1.3": (
            "libfoo",
            "1.3",
            "h3_0",
            {
                "lib/libfoo.so.1.3.0": o["libfoo1"],
                "lib/libfoo.so.1": Link("libfoo.so.1.3.0"),
                "lib/libfoo.so": Link("libfoo.so.1"),
            },
            (),
        ),
        "libfoo-2.0": (
            "libfoo",
            "2.0",
            "h2_0",
            {
                "lib/libfoo.so.2.0.0": o["libfoo2"],
                "lib/libfoo.so.2": Link("libfoo.so.2.0.0"),
                "lib/libfoo.so": Link("libfoo.so.2"),
            },
            (),
        ),
        "libfoo-compat-1.2": (
            "libfoo-compat",
            "1.2",
            "h5_0",
            {
                "lib/libfoo.so.1": o["libfoo1"],
            },
            (),
        ),
        "app-1.0": (
            "app",
            "1.0",
            "h0_0",
            {
                "bin/app": o["app"],
                "lib/libapp.so": o["libapp"],
                "share/app/README": b"app\n",
            },
            ("libfoo >=1.2,<2.0a0",),
        ),
        "plugin-1.0": (
            "plugin",
            "1.0",
            "h0_0",
            {
                "lib/app-plugins/libplugin.so": o["libapp"],
            },
            ("app 1.0.*",),
        ),
        "other-1.0": ("other", "1.0", "h0_0", {"bin/other": o["app"]}, ()),
        "tool-1.0": (
            "tool",
            "1.0",
            "h0_0",
            {
                "bin/tool": b"#!/bin/sh\necho tool\n",
                "bin/tool-macho": b"\xcf\xfa\xed\xfe" + bytes(60),
            },
            ("libfoo",),
        ),
    }
    if cxx:
        specs.update(
            {
                "cxxlib-1.0": (
                    "cxxlib",
                    "1.0",
                    "h0_0",
                    {
                        "lib/libcxxuser.so": o["cxx"],
                    },
                    ("libstdcxx >=12", "libgcc >=12"),
                ),
                "cxxlib-ng-1.0": (
                    "cxxlib-ng",
                    "1.0",
                    "h0_0",
                    {
                        "lib/libcxxuser-ng.so": o["cxx"],
                    },
                    ("libstdcxx-ng >=12",),
                ),
                "libstdcxx-12.2.0": (
                    "libstdcxx",
                    "12.2.0",
                    "h0_0",
                    {
                        "lib/libstdc++.so.6.0.30": o["stdcxx_today"],
                        "lib/libstdc++.so.6": Link("libstdc++.so.6.0.30"),
                    },
                    (),
                ),
                "libstdcxx-ng-12.2.0": (
                    "libstdcxx-ng",
                    "12.2.0",
                    "h1_0",
                    {
                        "lib/libstdc++.so.6.0.30": o["stdcxx_today"],
                        "lib/libstdc++.so.6": Link("libstdc++.so.6.0.30"),
                    },
                    (),
                ),
                "libstdcxx-4.9.2": (
                    "libstdcxx",
                    "4.9.2",
                    "h9_0",
                    {
                        "lib/libstdc++.so.6.0.20": o["stdcxx_old"],
                        "lib/libstdc++.so.6": Link("libstdc++.so.6.0.20"),
                    },
                    (),
                ),
                "libstdcxx-14.1.0": (
                    "libstdcxx",
                    "14.1.0",
                    "h4_0",
                    {
                        "lib/libstdc++.so.6.0.33": o["stdcxx_new"],
                        "lib/libstdc++.so.6": Link("libstdc++.so.6.0.33"),
                    },
                    (),
                ),
            }
        )
    extracted = {}
    for key, (name, version, build, files, depends) in specs.items():
        conda = make_package(out, name, version, build, files, depends=depends)
        extracted[key] = extract(conda, pkgs)
    return World(root=root, objects=o, packages=extracted)


def add_pip_dist(
    prefix: Path,
    name: str,
    version: str,
    files: dict[str, Path | bytes],
    *,
    installer: str | None = "pip",
    python: str = "3.11",
) -> list[str]:
    """Write a dist-info (INSTALLER, METADATA, RECORD) and its files into the prefix."""
    site = prefix / "lib" / f"python{python}" / "site-packages"
    dist_info = site / f"{name}-{version}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    rows = []
    for rel, content in files.items():
        dest = site / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy2(content, dest)
        else:
            dest.write_bytes(content)
        digest = hashlib.sha256(dest.read_bytes()).hexdigest()
        rows.append(f"{rel},sha256={digest},{dest.stat().st_size}")
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nLong text\n"
    )
    if installer is not None:
        (dist_info / "INSTALLER").write_text(installer + "\n")
    base = f"{name}-{version}.dist-info"
    rows += [f"{base}/METADATA,,", f"{base}/INSTALLER,,", f"{base}/RECORD,,"]
    (dist_info / "RECORD").write_text("\n".join(rows) + "\n")
    return [f"lib/python{python}/site-packages/{rel}" for rel in files]
