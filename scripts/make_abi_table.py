"""Generate conda_guard/data/abi_pins.json from conda-forge's pinning file.

Reads conda-forge-pinning-feedstock's ``recipe/conda_build_config.yaml`` and
writes the ABI-pinned packages it names: for each package pin the conda package
name, the pinned value(s) (all platforms; ``# [selector]`` comments kept) and the
pin granularity (``pin_run_as_build`` max_pin where given, else the depth of the
pinned version). Keys that are not package pins (compilers, build settings,
variant switches) are skipped; ``SKIP`` says why for each. The output is sorted
and deterministic, so the test suite can regenerate it and compare.

Usage::

    python scripts/make_abi_table.py [--pinning PATH] [--out PATH] [--check]

Needs PyYAML (a conda-guard dependency). Never edit the output by hand.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path

GENERATOR = "scripts/make_abi_table.py"
# bump when the output format or the rules below change
GENERATOR_VERSION = 1
UPSTREAM = "conda-forge/conda-forge-pinning-feedstock:recipe/conda_build_config.yaml"

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_PINNING = SHARED_DATA / "pinning" / "conda_build_config.yaml"
DEFAULT_OUT = REPO / "conda_guard" / "data" / "abi_pins.json"
DEFAULT_HARVESTED = SHARED_DATA / "channels" / "harvested"

# Top-level keys that are not package pins, with the reason.
SKIP: dict[str, str] = {
    # structure of the file itself
    "pin_run_as_build": "per-package max_pin overrides; read for granularity",
    "zip_keys": "ties variant keys together; not a pin",
    # compilers and C standard library (suffix rules below cover the rest)
    "c_stdlib": "C standard library flavour (sysroot, macosx_deployment_target, vs)",
    "m2w64_c_stdlib": "C standard library flavour on win (m2w64-sysroot)",
    "cuda_compiler_version_min": "lowest CUDA compiler; a build setting",
    "arm_variant_type": "CUDA arm flavour (sbsa); a build setting",
    # go / rust / build environment settings
    "target_goos": "Go target OS; build setting",
    "target_goarch": "Go target arch; build setting",
    "target_goexe": "Go executable suffix; build setting",
    "target_gobin": "Go install path; build setting",
    "macos_machine": "target triple; build setting",
    "VERBOSE_AT": "make verbosity flag",
    "VERBOSE_CM": "cmake verbosity flag",
    "channel_sources": "channels used at build time",
    "channel_targets": "upload label",
    "cdt_name": "CDT (core dependency tree) flavour; build setting",
    "cdt_arch": "CDT architecture (armv7l); build setting",
    "BUILD": "build triple (armv7l); build setting",
    "docker_image": "CI docker image",
    "cran_mirror": "R package mirror URL",
    # variant switches that are not package names
    "blas_impl": "BLAS implementation variant axis (see abi_families.json 'blas')",
    "python_impl": "python implementation switch (cpython)",
    "python_min": "lowest python for noarch recipes (CFEP-25); not an ABI pin",
    "is_freethreading": "boolean variant switch",
    "is_python_min": "boolean variant switch zipped with python",
    "is_abi3": "boolean variant switch",
    "root_cxx_standard": "C++ standard of ROOT builds, zipped with root_base",
}
# Key suffixes that name compilers and their versions, not packages.
SKIP_SUFFIXES: dict[str, str] = {
    "_compiler": "compiler package selector, not a runtime pin",
    "_compiler_version": "compiler version; the runtime is pinned by run_exports",
    "_stdlib_version": "C standard library version (sysroot/macOS/msvcrt)",
}
SKIP_PREFIXES: dict[str, str] = {
    "MACOSX_": "macOS SDK / deployment target setting",
}

# Keys whose conda package keeps the underscore although it is not in the data.
# (Any name found in the harvested repodata is checked there first.)
KEEP_UNDERSCORE: dict[str, str] = {
    "root_base": "ROOT's package is named root_base on conda-forge",
    "python_abi": "the package is named python_abi",
    "_libgcc_mutex": "the package is named _libgcc_mutex",
}

_SELECTOR_RE = re.compile(r"#\s*\[(?P<sel>.*)\]\s*$")
_TOP_KEY_RE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*:(?P<rest>.*)$")
_ITEM_RE = re.compile(r"^(?P<indent>\s+)-(?P<rest>.*)$")
# a pin value: optional epoch, a version (maybe ending .*), optional build glob
_VALUE_RE = re.compile(
    r"^(?:(?P<epoch>\d+)!)?(?P<version>[0-9][0-9A-Za-z._]*?)(?:\.\*)?(?:\s+(?P<build>\S+))?$"
)
_DEPTHS = ("x", "x.x", "x.x.x")


class PinningError(ValueError):
    """The pinning file has something this generator does not understand."""


def skip_reason(key: str) -> str | None:
    """Why ``key`` is not a package pin, or None when it is one."""
    if key in SKIP:
        return SKIP[key]
    for suffix, why in SKIP_SUFFIXES.items():
        if key.endswith(suffix):
            return why
    for prefix, why in SKIP_PREFIXES.items():
        if key.startswith(prefix):
            return why
    return None


def granularity_of(value: str) -> str:
    """``"3.5"`` → ``x.x``, ``"78"`` → ``x``, ``"0.3.*"`` → ``x.x``.

    Deeper pins (``2.4.7.2``) are capped at ``x.x.x``.
    """
    m = _VALUE_RE.match(value)
    if not m:
        raise PinningError(f"not a version pin: {value!r}")
    depth = len(m["version"].split("."))
    return _DEPTHS[min(depth, 3) - 1]


def _selectors(text: str) -> dict[str, list[str | None]]:
    """Per top-level key: the selector of each flat list item, in order.

    The key line's own selector (``vc:  # [win]``) applies to items without one.
    """
    out: dict[str, list[str | None]] = {}
    key: str | None = None
    key_sel: str | None = None
    item_indent: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        sel_m = _SELECTOR_RE.search(line)
        sel = sel_m["sel"].strip() if sel_m else None
        top = _TOP_KEY_RE.match(line)
        if top:
            key = top["key"]
            key_sel = sel
            item_indent = None
            out.setdefault(key, [])
            continue
        item = _ITEM_RE.match(line)
        if item and key is not None:
            if item_indent is None:
                item_indent = item["indent"]
            if item["indent"] == item_indent:
                out[key].append(sel if sel is not None else key_sel)
    return out


def _known_names(harvested: Path | None) -> frozenset[str]:
    names: set[str] = set()
    if harvested is None or not harvested.is_dir():
        return frozenset()
    for path in sorted(harvested.glob("*/repodata.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for group in ("packages", "packages.conda"):
            names.update(r["name"] for r in data.get(group, {}).values())
    return frozenset(names)


def package_name(key: str, known: frozenset[str]) -> tuple[str, bool]:
    """The conda package a pinning key names, and whether the data has it.

    conda-build turns ``-`` into ``_`` in variant keys, so ``libjpeg_turbo``
    pins ``libjpeg-turbo``. The harvested repodata decides when it knows the
    name; otherwise dashes win, except for ``KEEP_UNDERSCORE``.
    """
    dashed = key.replace("_", "-") if not key.startswith("_") else key
    for candidate in (dashed, key):
        if candidate in known:
            return candidate, True
    if key in KEEP_UNDERSCORE:
        return key, False
    return dashed, False


def build_table(
    pinning: Path, harvested: Path | None = DEFAULT_HARVESTED
) -> dict[str, object]:
    """Read the pinning file and return the JSON-ready table."""
    import yaml

    raw = pinning.read_bytes()
    text = raw.decode("utf-8")
    # the base loader keeps every scalar a string: '2.10' stays 2.10, not 2.1
    data = yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    if not isinstance(data, dict):
        raise PinningError(f"{pinning}: not a mapping")
    selectors = _selectors(text)
    known = _known_names(harvested)
    max_pins = {
        str(name).replace("-", "_"): str(spec["max_pin"])
        for name, spec in (data.get("pin_run_as_build") or {}).items()
        if isinstance(spec, dict) and "max_pin" in spec
    }

    pins: dict[str, dict[str, object]] = {}
    skipped: dict[str, str] = {}
    for key in sorted(data):
        reason = skip_reason(key)
        if reason:
            skipped[key] = reason
            continue
        values = data[key]
        if not isinstance(values, list):
            values = [values]
        values = [str(v).strip() for v in values]
        for v in values:
            if not _VALUE_RE.match(v):
                raise PinningError(
                    f"{pinning}: key {key!r} has non-version value {v!r}; "
                    "add it to SKIP with a reason"
                )
        sels = selectors.get(key, [])
        if len(sels) != len(values):
            sels = [None] * len(values)
        distinct: list[str] = []
        by_value: dict[str, set[str]] = {}
        unconditional: set[str] = set()
        for v, s in zip(values, sels):
            if v not in distinct:
                distinct.append(v)
            if s is None:
                unconditional.add(v)
            else:
                by_value.setdefault(v, set()).add(s)
        name, known_in_data = package_name(key, known)
        if key in max_pins:
            gran, gran_from = max_pins[key], "pin_run_as_build"
        else:
            depths = [granularity_of(v) for v in distinct]
            gran, gran_from = max(depths, key=len), "value depth"
        entry: dict[str, object] = {
            "key": key,
            "values": distinct,
            "granularity": gran,
            "granularity_from": gran_from,
            "known_in_data": known_in_data,
        }
        conditional = {
            v: sorted(s) for v, s in by_value.items() if v not in unconditional
        }
        if conditional:
            entry["selectors"] = dict(sorted(conditional.items()))
        if gran_from == "value depth" and any(
            len(_VALUE_RE.match(v)["version"].split(".")) > 3 for v in distinct
        ):
            entry["granularity_capped"] = True
        if name in pins:
            raise PinningError(f"{pinning}: two keys pin {name!r}")
        pins[name] = entry

    try:
        # not resolved: a symlinked shared/ must give the same text
        shown = os.path.relpath(os.path.abspath(pinning), REPO).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        shown = pinning.name
    return {
        "_generated_by": GENERATOR,
        "_generator_version": GENERATOR_VERSION,
        "_note": "Generated; do not edit. Regenerate with "
        "`python scripts/make_abi_table.py`.",
        "_source": {
            "path": shown,
            "upstream": UPSTREAM,
            "sha256": hashlib.sha256(raw).hexdigest(),
        },
        "skipped": dict(sorted(skipped.items())),
        "pins": dict(sorted(pins.items())),
    }


def render(table: dict[str, object]) -> str:
    """The exact text written to the output file."""
    return json.dumps(table, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pinning", type=Path, default=DEFAULT_PINNING)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--harvested",
        type=Path,
        default=DEFAULT_HARVESTED,
        help="directory of <subdir>/repodata.json used to check package names",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 when --out differs from a fresh generation",
    )
    args = parser.parse_args(argv)
    if not args.pinning.is_file():
        print(f"make_abi_table: error: no such file: {args.pinning}", file=sys.stderr)
        return 2
    try:
        text = render(build_table(args.pinning, args.harvested))
    except PinningError as exc:
        print(f"make_abi_table: error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"make_abi_table: {args.out} is out of date", file=sys.stderr)
            return 1
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8", newline="\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
