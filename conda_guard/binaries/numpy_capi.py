"""Which NumPy C-API an extension module was compiled against, read from its bytes.

NumPy's C-API is a table of function pointers that an extension fetches at
import time. The code that fetches it is compiled into the extension, and the
module name it imports is a string literal that stays in the binary
(numpy's ``code_generators/generate_numpy_api.py`` and
``generate_ufunc_api.py`` write ``_import_array``/``_import_umath`` into
``__multiarray_api.h``/``__ufunc_api.h``):

- NumPy 1.16–1.26 headers import only ``numpy.core._multiarray_umath``;
  NumPy < 1.16 headers import ``numpy.core.multiarray`` (``numpy.core.umath``).
- NumPy 2.x headers import ``numpy._core._multiarray_umath`` first and fall
  back to ``numpy.core._multiarray_umath``; they also embed the target
  ("module was compiled against NumPy C-API version 0x%x (NumPy 1.21)").
- Both then read the ``_ARRAY_API`` (``_UFUNC_API``) capsule; their error
  strings ("_ARRAY_API is NULL pointer") mark numpy's own header code.
- Cython's ``cimport numpy`` + ``import_array()`` and f2py's generated
  modules call the same header code, so they leave the same strings.
- pybind11 >= 2.12 imports ``numpy.core``/``numpy._core`` + ``.multiarray``,
  picked at run time from ``numpy.__version__``: the binary holds the pieces,
  never the full module name, and works on 1.x and 2.x. pybind11 < 2.12
  imports the literal ``numpy.core.multiarray`` and reads NumPy 1.x struct
  layouts: under numpy 2 it imports, and what relies on dtype sizes goes
  wrong (seen: ``itemsize`` 0, ``array_t(3)`` filled with one value;
  pybind/pybind11#5009), so it counts as built for 1.x.
- nanobind exchanges arrays through DLPack and the buffer protocol: no
  ``_ARRAY_API``, no C-API. A module naming none of this uses no C-API.

So a module naming ``numpy._core._multiarray_umath`` and a capsule is
:attr:`NumpyApi.V2`; one naming only the 1.x module names and a capsule is
:attr:`NumpyApi.V1`; anything else :attr:`NumpyApi.NONE`. docs/numpy-capi.md
has the evidence (real builds, run under both NumPy versions). Files are
searched through ``mmap`` (bounded memory, no parsing; each needle only when
the decision needs it), falling back to chunked reads for files that cannot
be mapped; bad files never raise.
:mod:`conda_guard.binaries.file_facts` applies this to the files of a
package. Standard library only.
"""

from __future__ import annotations

import mmap
import os
import re
import stat
from typing import TYPE_CHECKING, NamedTuple

from conda_guard.facts import NumpyApi

if TYPE_CHECKING:
    from collections.abc import Callable

#: Bumped when the classification changes; cached answers of other versions are redone.
CLASSIFIER_VERSION = 1

_V2 = b"numpy._core._multiarray_umath"
_V1 = b"numpy.core._multiarray_umath"
_V1_OLD = (b"numpy.core.multiarray", b"numpy.core.umath")
_CAPSULES = (b"_ARRAY_API", b"_UFUNC_API")
_HEADERS = b"_API is NULL pointer"  # numpy's _import_array/_import_umath, 1.7 to 2.x
_PYBIND11 = b"pybind11 numpy support requires numpy"  # pybind11 >= 2.2
_PYBIND11_RUNTIME = b"FAILURE obtaining numpy _ARRAY_API pointer"  # pybind11 >= 2.12
_MULTIARRAY = b"multiarray"
# every verdict but "no C-API" needs one of these (the first test of a file)
_GATE = (_MULTIARRAY, _V1_OLD[1])
_NEEDLES = (
    *(_V2, _V1, *_V1_OLD, *_CAPSULES),
    *(_HEADERS, _PYBIND11, _PYBIND11_RUNTIME, _MULTIARRAY),
)
_PYBIND11_OLD = (
    "NumPy support of pybind11 < 2.12, which reads NumPy 1.x struct layouts "
    "(under NumPy 2 it imports but misreads dtype sizes)"
)
_TARGET_AT = b"compiled against NumPy C-API version 0x%x (NumPy "
_TARGET = re.compile(rb"([0-9]{1,2}\.[0-9]{1,3})\)")
_CHUNK = 1 << 22

_EXTENSION = re.compile(r"\.(?:(?:cpython|pypy|graalpy)-?[0-9][^/]*\.so|abi3\.so|pyd)$")
_SHARED = re.compile(r"\.(?:so(?:\.[0-9][0-9A-Za-z.]*)?|dylib|dll|pyd)$")
_SITE_DIRS = frozenset({"site-packages", "lib-dynload"})


class Classification(NamedTuple):
    """What one file says: the C-API it uses and the evidence, in words."""

    api: NumpyApi
    detail: str


def fails_at_import(detail: str) -> bool:
    """True when a V1/V2 ``detail`` names numpy's ``import_array``/``import_umath``.

    Such a module raises ImportError under a NumPy its headers do not fit;
    pybind11 < 2.12 modules import and misbehave later.
    """
    return ": import_array of " in detail or ": import_umath of " in detail


def is_extension_module(relpath: str) -> bool:
    """A Python extension module by name and place.

    ``*.cpython-3XY[t]-<platform>.so``, ``*.abi3.so``, ``*.pypy*.so``,
    ``*.pyd``; a plain ``*.so`` counts under ``site-packages``/``lib-dynload``
    unless it is named ``lib*`` (a shared library shipped beside modules).
    """
    head, _, name = relpath.replace("\\", "/").rpartition("/")
    if _EXTENSION.search(name):
        return True
    parts = {p.lower() for p in head.split("/")}
    return (
        name.endswith(".so") and not name.startswith("lib") and bool(parts & _SITE_DIRS)
    )


def is_shared_object(relpath: str) -> bool:
    """Any file named like a shared library or extension module."""
    return _SHARED.search(relpath.rpartition("/")[2]) is not None


def classify_bytes(data: bytes | bytearray | mmap.mmap) -> Classification:
    """Classify a whole file's bytes (``bytes`` or a read-only ``mmap``).

    Needles are searched only as the decision needs them; long needles are
    cheap to search for, so the short gate comes first and the rest follow.
    """
    memo: dict[bytes, bool] = {}

    def has(needle: bytes) -> bool:
        if needle not in memo:
            memo[needle] = data.find(needle) >= 0
        return memo[needle]

    return _decide(has, lambda: _find_target(data))


def classify_file(path: str | os.PathLike[str]) -> Classification | None:
    """Classify the regular file at ``path``; ``None`` when it cannot be read.

    Not a regular file (a directory, a pipe, a device) counts as unreadable:
    opening a pipe could block.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as stream:
            if os.fstat(stream.fileno()).st_size == 0:
                return classify_bytes(b"")
            try:
                view = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError, OverflowError):
                return _classify_stream(stream)  # not mappable here: read in chunks
            with view:
                return classify_bytes(view)
    except (OSError, ValueError):
        return None


def _classify_stream(stream) -> Classification:
    """The chunked fallback: every needle, overlapping chunk edges."""
    stream.seek(0)
    keep = max(len(n) for n in (*_NEEDLES, _TARGET_AT)) + 8
    found: set[bytes] = set()
    target = None
    tail = b""
    while chunk := stream.read(_CHUNK):
        window = tail + chunk
        found.update(n for n in _NEEDLES if n in window)
        target = target or _find_target(window, final=False)
        tail = window[-keep:]
    target = target or _find_target(tail)
    return _decide(found.__contains__, lambda: target)


def _find_target(data: bytes | bytearray | mmap.mmap, final: bool = True) -> str | None:
    """The NumPy version in the first complete 2.x target message, if any.

    With ``final=False`` an occurrence cut off at the end of ``data`` stops
    the search (the next, overlapping chunk sees it whole).
    """
    at = data.find(_TARGET_AT)
    while at >= 0:
        start = at + len(_TARGET_AT)
        if not final and start + 8 > len(data):
            return None
        match = _TARGET.match(bytes(data[start : start + 8]))
        if match:
            return match.group(1).decode()
        at = data.find(_TARGET_AT, at + 1)
    return None


def _decide(
    has: Callable[[bytes], bool], target: Callable[[], str | None]
) -> Classification:
    none = Classification(
        NumpyApi.NONE,
        f"names neither {_V2.decode()} nor {_V1.decode()} with a C-API capsule: "
        "no NumPy C-API through import_array",
    )
    if not any(has(gate) for gate in _GATE):
        return none
    capsule = next((c.decode() for c in _CAPSULES if has(c)), "")
    if not capsule:
        return none
    call = "import_array" if capsule == "_ARRAY_API" else "import_umath"
    old_pybind11 = has(_V1_OLD[0]) and has(_PYBIND11) and not has(_PYBIND11_RUNTIME)
    if has(_V2) and old_pybind11:
        return Classification(
            NumpyApi.V1,
            f"names {_V2.decode()} (NumPy 2.x headers) but also {_V1_OLD[0].decode()} "
            f"and {capsule}: {_PYBIND11_OLD}",
        )
    if has(_V2):
        aim = f"; targets NumPy >= {version}" if (version := target()) else ""
        return Classification(
            NumpyApi.V2,
            f"names {_V2.decode()} and {capsule}: {call} of the NumPy 2.x headers{aim}",
        )
    if has(_V1):
        return Classification(
            NumpyApi.V1,
            f"names {_V1.decode()} but not {_V2.decode()}, and {capsule}: "
            f"{call} of the NumPy 1.x headers (1.16-1.26)",
        )
    old = next((n.decode() for n in _V1_OLD if has(n)), None)
    if old and has(_HEADERS):
        return Classification(
            NumpyApi.V1,
            f"names {old} and {capsule}: {call} of the NumPy 1.x headers (< 1.16)",
        )
    if old and old_pybind11:
        return Classification(
            NumpyApi.V1, f"names {old} and {capsule}: {_PYBIND11_OLD}"
        )
    if old:
        return Classification(
            NumpyApi.V1,
            f"names {old} and {capsule} without numpy's headers: fetches the "
            "C-API table of NumPy 1.x by hand, reads NumPy 1.x struct layouts",
        )
    if has(_MULTIARRAY) and has(_PYBIND11_RUNTIME):
        return Classification(
            NumpyApi.NONE,
            "NumPy support of pybind11 >= 2.12: picks numpy.core or numpy._core at "
            "run time, works with NumPy 1.x and 2.x",
        )
    return none
