"""The ELF reader against binutils' readelf, the format sniffing, and fuzzing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conda_guard.binaries.elf import read_elf
from conda_guard.binaries.formats import (
    BinaryInfo,
    BinaryReadError,
    sniff_format,
)
from conda_guard.binaries.read import read_binary, readers
from conda_guard.binaries.scan import is_candidate, is_library_name

from .binaries_helpers import (
    READELF,
    build_world,
    compile_so,
    readelf_needs,
    stub_libstdcxx,
    with_cxx,
)

needs_readelf = pytest.mark.skipif(READELF is None, reason="binutils' readelf missing")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("elf-world"))


def _readelf_dynamic(path):
    out = subprocess.run(
        [READELF, "-d", "-W", str(path)], check=True, capture_output=True, text=True
    ).stdout
    needed, soname, runpath = [], None, None
    for line in out.splitlines():
        if "(NEEDED)" in line:
            needed.append(line.split("[", 1)[1].rstrip("]"))
        elif "(SONAME)" in line:
            soname = line.split("[", 1)[1].rstrip("]")
        elif "(RUNPATH)" in line or "(RPATH)" in line:
            runpath = line.split("[", 1)[1].rstrip("]")
    return needed, soname, runpath


def _readelf_defs(path):
    out = subprocess.run(
        [READELF, "-V", "-W", str(path)], check=True, capture_output=True, text=True
    ).stdout
    section = out.split("Version definition section", 1)[1].split("Version needs", 1)
    names = []
    for line in section[0].splitlines():
        line = line.strip()
        if line.startswith("0x") and "Name:" in line and "Flags: BASE" not in line:
            names.append(line.split("Name:")[1].split()[0])
    return names


@pytest.mark.parametrize(
    "key", ["libfoo1", "libfoo2", "app", "libapp", "npext", "cxx"], ids=str
)
@needs_readelf
@with_cxx
def test_dynamic_entries_match_readelf(world, key):
    path = world.objects[key]
    info = read_elf(path)
    needed, soname, runpath = _readelf_dynamic(path)
    assert info.format == "elf"
    assert info.machine == "EM_X86_64" or info.machine.startswith("EM_")
    assert list(info.needed) == needed
    assert info.soname == soname
    assert info.runpath == (tuple(runpath.split(":")) if runpath else ())
    for library, versions in info.version_needs:
        assert set(versions) == readelf_needs(path, library), library


@needs_readelf
@with_cxx
def test_known_values(world):
    assert read_elf(world.objects["libfoo1"]).soname == "libfoo.so.1"
    app = read_elf(world.objects["app"])
    assert app.needed[0] == "libfoo.so.1"
    assert app.runpath == ("$ORIGIN/../lib",)
    cxx = read_elf(world.objects["cxx"])
    assert "libstdc++.so.6" in cxx.needed
    needs = cxx.needs_from("libstdc++.so.6")
    assert "GLIBCXX_3.4" in needs
    assert any(v.startswith("GLIBCXX_3.4.") for v in needs)
    assert cxx.needs_from("libnothere.so") == ()


@needs_readelf
@with_cxx
def test_version_definitions_of_a_stub_libstdcxx(tmp_path):
    lib = stub_libstdcxx(tmp_path / "libstdc++.so.6", 20, 8)
    info = read_elf(lib)
    assert info.soname == "libstdc++.so.6"
    expected = ["GLIBCXX_3.4"] + [f"GLIBCXX_3.4.{n}" for n in range(1, 21)]
    expected += ["CXXABI_1.3"] + [f"CXXABI_1.3.{n}" for n in range(1, 9)]
    assert list(info.version_defs) == expected
    assert list(info.version_defs) == _readelf_defs(lib)


@with_cxx
def test_static_object_without_dynamic_segment(tmp_path):
    obj = tmp_path / "static"
    compile_so(
        obj,
        "int main(void){return 0;}\n",
        executable=True,
        rpath=None,
        flags=("-static",),
    )
    info = read_elf(obj)
    assert info == BinaryInfo(format="elf", machine=info.machine)


def test_binary_info_json_round_trip():
    info = BinaryInfo(
        format="elf",
        soname="libx.so.1",
        needed=("libstdc++.so.6", "libc.so.6"),
        runpath=("$ORIGIN/../lib",),
        version_needs=(("libstdc++.so.6", ("GLIBCXX_3.4", "GLIBCXX_3.4.30")),),
        version_defs=("X_1.0",),
        machine="EM_AARCH64",
    )
    assert BinaryInfo.from_json(info.to_json()) == info
    assert BinaryInfo.from_json(BinaryInfo("elf").to_json()) == BinaryInfo("elf")


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (b"\x7fELF\x02\x01\x01\x00", "elf"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "macho"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", "macho"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "pe"),
        (b"#!/bin/sh", None),
        (b"", None),
    ],
    ids=["elf", "macho-64", "macho-fat", "pe", "script", "empty"],
)
def test_sniff_format(head, fmt):
    assert sniff_format(head) == fmt


def test_read_binary_without_reader_returns_none(tmp_path):
    path = tmp_path / "libx.dylib"
    path.write_bytes(b"\xcf\xfa\xed\xfe" + bytes(60))
    assert read_binary(path) is None
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\n")
    assert read_binary(script) is None


def test_the_elf_reader_is_the_one_reader():
    assert [r.format for r in readers()] == ["elf"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("lib/libfoo.so", True),
        ("lib/libfoo.so.1", True),
        ("lib/libfoo.so.1.2.3", True),
        ("lib/python3.11/site-packages/x/_y.cpython-311-x86_64-linux-gnu.so", True),
        ("lib/libz.dylib", True),
        ("Library/bin/zlib.dll", True),
        ("Lib/site-packages/x/_y.cp311-win_amd64.pyd", True),
        ("bin/python3.11", True),
        ("libexec/git-core/git", True),
        ("lib/libfoo.a", False),
        ("lib/libfoo.so.py", False),
        ("include/foo.h", False),
        ("share/doc/sonames.txt", False),
        ("lib/python3.11/site-packages/x/__init__.py", False),
    ],
    ids=lambda v: v if isinstance(v, str) else str(v),
)
def test_candidates(path, expected):
    assert is_candidate(path) is expected


def test_library_names():
    assert is_library_name("libstdc++.so.6.0.30")
    assert not is_library_name("libstdc++.so.6.0.30-gdb.py")


# --- robustness: malformed ELF files raise BinaryReadError, nothing else ------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from .binaries_helpers import CC, CXX

    if CC is None or CXX is None:
        pytest.skip("no C/C++ compiler ('cc', 'c++') on PATH")
    world = build_world(tmp_path_factory.mktemp("fuzz"))
    return world.objects["cxx"].read_bytes()


@pytest.mark.cc
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 8191), st.integers(0, 255)), min_size=1, max_size=8
    ),
    cut=st.one_of(st.none(), st.integers(0, 1 << 17)),
)
def test_mutated_elf_never_crashes(sample, tmp_path_factory, edits, cut):
    raw = bytearray(sample)
    for at, value in edits:
        raw[at % len(raw)] = value
    path = tmp_path_factory.mktemp("m", numbered=True) / "lib.so"
    path.write_bytes(bytes(raw if cut is None else raw[:cut]))
    try:
        info = read_binary(path)
    except BinaryReadError:
        return
    assert info is None or isinstance(info, BinaryInfo)


@given(st.binary(max_size=512))
def test_random_bytes_with_elf_magic(tmp_path_factory, payload):
    path = tmp_path_factory.mktemp("r", numbered=True) / "lib.so"
    path.write_bytes(b"\x7fELF" + payload)
    try:
        info = read_binary(path)
    except BinaryReadError:
        return
    assert isinstance(info, BinaryInfo)


def _system_libraries(limit=40):
    import glob

    found = []
    for pattern in (
        "/usr/lib/x86_64-linux-gnu/*.so*",
        "/usr/lib64/*.so*",
        "/lib/*.so*",
    ):
        for path in sorted(glob.glob(pattern)):
            if not os.path.islink(path) and os.path.isfile(path):
                with open(path, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        found.append(path)
    return found[:: max(1, len(found) // limit)][:limit]


@needs_readelf
@pytest.mark.parametrize("path", _system_libraries() or ["none"], ids=os.path.basename)
def test_real_system_libraries_match_readelf(path):
    if path == "none":
        pytest.skip("no system shared libraries found")
    info = read_elf(path)
    needed, soname, runpath = _readelf_dynamic(path)
    assert list(info.needed) == needed
    assert info.soname == soname
    assert info.runpath == (tuple(runpath.split(":")) if runpath else ())
    for library, versions in info.version_needs:
        assert set(versions) == readelf_needs(path, library), library
    if info.version_defs:
        assert list(info.version_defs) == _readelf_defs(path)


def test_offset_beyond_ssize_t_is_a_read_error(tmp_path):
    """Regression (found by hypothesis): a program-header offset of 2**64-1 made
    mmap.seek raise OverflowError instead of the reader's BinaryReadError."""
    import shutil

    from conda_guard.binaries.elf import read_elf
    from conda_guard.binaries.formats import BinaryReadError

    true = shutil.which("true")
    data = bytearray(Path(true).read_bytes()) if true else bytearray()
    if data[:5] != b"\x7fELF\x02":
        pytest.skip("needs a 64-bit ELF executable (/bin/true)")
    data[0x20:0x28] = (2**64 - 1).to_bytes(8, "little")  # e_phoff
    path = tmp_path / "broken"
    path.write_bytes(bytes(data))
    with pytest.raises(BinaryReadError, match="malformed ELF"):
        read_elf(path)
