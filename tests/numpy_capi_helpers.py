"""Real extension modules built against the headers of NumPy 1.26 and 2.x.

The NumPy wheels ship their C headers, and pybind11 is header-only on PyPI,
so the test session downloads them with ``pip download`` (the registries
this machine reaches; ``/etc/pip.conf`` points pip at them), unpacks them and
compiles tiny extensions with ``cc``/``c++`` and this interpreter's headers:

- ``capi1``/``capi2``: ``import_array()`` + ``PyArray_ZEROS`` against NumPy
  1.26.4 / 2.x headers;
- ``plain``: no NumPy at all;
- ``pybind3``/``pybind211``: ``py::array_t<double>`` through pybind11 3.x and
  2.11.1 (the last release before NumPy 2 support);
- ``cython1``/``cython2``: Cython 3 ``cimport numpy`` + ``cnp.import_array()``,
  and ``f2py1``/``f2py2``: an f2py wrapper of a C function, each generated and
  compiled with NumPy 1.26.4 / 2.x (:func:`build_generated`).

Downloads and builds land in one directory shared by the xdist workers of a
session (``$CONDA_GUARD_TEST_CACHE`` keeps them across sessions), guarded by a
file lock. Anything missing (compiler, Python headers, a wheel) skips the
tests that need it, with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from .binaries_helpers import CC, CXX

NUMPY1 = "numpy==1.26.4"
#: first that has a wheel for this interpreter wins
NUMPY2 = ("numpy==2.2.6", "numpy>=2.3,<3")
PYBIND11_NEW = ("pybind11>=2.12",)
PYBIND11_OLD = ("pybind11==2.11.1",)
CYTHON = ("cython>=3,<4",)
EXT_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
PY_INCLUDE = Path(sysconfig.get_paths()["include"])

CAPI_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
static PyObject *zeros(PyObject *self, PyObject *arg) {
    npy_intp n = PyLong_AsSsize_t(arg);
    if (n < 0 && PyErr_Occurred()) return NULL;
    return PyArray_ZEROS(1, &n, NPY_DOUBLE, 0);
}
static PyMethodDef methods[] = {{"zeros", zeros, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "@NAME@", NULL, -1, methods};
PyMODINIT_FUNC PyInit_@NAME@(void) { import_array(); return PyModule_Create(&def); }
"""
PLAIN_C = """
#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *twice(PyObject *self, PyObject *arg) { return PyNumber_Add(arg, arg); }
static PyMethodDef methods[] = {{"twice", twice, METH_O, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "@NAME@", NULL, -1, methods};
PyMODINIT_FUNC PyInit_@NAME@(void) { return PyModule_Create(&def); }
"""
PYBIND_CPP = """
#include <pybind11/pybind11.h>
#include <pybind11/numpy.h>
namespace py = pybind11;
PYBIND11_MODULE(@NAME@, m) {
    m.def("ramp", [](py::ssize_t n) {
        py::array_t<double> out(n);
        auto w = out.mutable_unchecked<1>();
        for (py::ssize_t i = 0; i < n; ++i) w(i) = double(i);
        return out;
    });
    m.def("itemsize", [](py::array a) { return a.itemsize(); });
}
"""


CYTHON_PYX = """
# cython: language_level=3
cimport numpy as cnp
cnp.import_array()
def total(cnp.ndarray[cnp.float64_t, ndim=1] a):
    cdef double s = 0
    cdef Py_ssize_t i
    for i in range(a.shape[0]):
        s += a[i]
    return s
"""
F2PY_PYF = """
python module @NAME@
  interface
    function csum(n, x) result (s)
      intent(c) csum
      integer intent(c,hide), depend(x) :: n = len(x)
      double precision intent(c) :: x(n)
      double precision :: s
    end function csum
  end interface
end python module @NAME@
"""
CSUM_C = (
    "double csum(int n, double *x) { double s = 0; while (n--) s += x[n]; return s; }"
)


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the whole session (all xdist workers), or the env's."""
    override = os.environ.get("CONDA_GUARD_TEST_CACHE")
    if override:
        path = Path(override) / "numpy-capi"
    else:
        base = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            base = base.parent
        path = base / "numpy-capi-shared"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive lock on ``path`` (a no-op where ``fcntl`` is missing)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path, "a") as stream:
        fcntl.flock(stream, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(stream, fcntl.LOCK_UN)


def fetch_wheel(cache: Path, specs: tuple[str, ...] | str) -> Path:
    """Download the first of ``specs`` that resolves, unpack it; its directory.

    Skips the test (with pip's last words) when none can be downloaded.
    """
    specs = (specs,) if isinstance(specs, str) else specs
    reasons = []
    for spec in specs:
        key = "".join(c if c.isalnum() or c in ".=" else "_" for c in spec)
        site = cache / f"site-{key}"
        with locked(cache / f"{key}.lock"):
            if (site / ".done").is_file():
                return site
            wheels = cache / f"wheels-{key}"
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps"]
            cmd += ["--only-binary=:all:", "-q", "-d", str(wheels), spec]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            except (OSError, subprocess.TimeoutExpired) as exc:
                reasons.append(f"{spec}: {exc}")
                continue
            found = sorted(wheels.glob("*.whl")) if done.returncode == 0 else []
            if not found:
                last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
                reasons.append(f"{spec}: {last}")
                continue
            shutil.rmtree(site, ignore_errors=True)
            with zipfile.ZipFile(found[0]) as wheel:
                wheel.extractall(site)
            (site / ".done").write_text(found[0].name)
            return site
    pytest.skip("cannot download " + "; ".join(reasons))


def numpy_include(site: Path) -> Path:
    """The ``include`` directory of an unpacked NumPy wheel."""
    for sub in ("numpy/_core/include", "numpy/core/include"):
        if (site / sub / "numpy" / "arrayobject.h").is_file():
            return site / sub
    pytest.skip(f"no NumPy headers in {site}")


def need_compilers(cxx: bool = False) -> None:
    """Skip without ``cc`` (and ``c++``) or without this Python's headers."""
    if CC is None or (cxx and CXX is None):
        pytest.skip("no C/C++ compiler ('cc', 'c++') on PATH")
    if not (PY_INCLUDE / "Python.h").is_file():
        pytest.skip(f"no Python.h in {PY_INCLUDE} (install the Python headers)")


def build_module(
    cache: Path,
    name: str,
    template: str,
    includes: tuple[Path, ...],
    cxx: bool = False,
    extra: tuple[Path, ...] = (),
) -> Path:
    """Compile ``template`` (and ``extra`` sources) as extension module ``name``.

    Built once per cache directory.
    """
    need_compilers(cxx)
    out = cache / "modules" / f"{name}{EXT_SUFFIX}"
    with locked(cache / f"build-{name}.lock"):
        if out.is_file():
            return out
        out.parent.mkdir(parents=True, exist_ok=True)
        src = cache / "src" / (name + (".cpp" if cxx else ".c"))
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(template.replace("@NAME@", name))
        cmd = [CXX, "-std=c++17", "-O0"] if cxx else [CC, "-O1"]
        cmd += ["-shared", "-fPIC", f"-I{PY_INCLUDE}", *(f"-I{i}" for i in includes)]
        if sys.platform == "darwin":
            cmd += ["-undefined", "dynamic_lookup"]
        tmp = out.with_name(out.name + ".tmp")
        done = subprocess.run(
            [*cmd, str(src), *map(str, extra), "-o", str(tmp)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"compiling {name} failed:\n{done.stderr}")
        os.replace(tmp, out)
    return out


def _generate(cmd: list[str], cwd: Path, path: list[Path]) -> None:
    """Run a code generator (Cython, f2py) in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, path)))
    done = subprocess.run(
        [sys.executable, "-s", *cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr}")


def build_generated(cache: Path, kind: str, numpy_site: Path, name: str) -> Path:
    """A Cython (``kind="cython"``) or f2py (``"f2py"``) module, against a NumPy."""
    need_compilers()
    out = cache / "modules" / f"{name}{EXT_SUFFIX}"
    if out.is_file():
        return out
    work = cache / "gen" / name
    include = numpy_include(numpy_site)
    with locked(cache / f"gen-{name}.lock"):
        work.mkdir(parents=True, exist_ok=True)
        if kind == "cython":
            cython = fetch_wheel(cache, CYTHON)
            (work / f"{name}.pyx").write_text(CYTHON_PYX)
            cmd = ["-m", "cython", f"{name}.pyx", "-o", f"{name}.c"]
            _generate(cmd, work, [cython, numpy_site])
            source, extra, includes = work / f"{name}.c", (), (include,)
        else:
            (work / f"{name}.pyf").write_text(F2PY_PYF.replace("@NAME@", name))
            _generate(["-m", "numpy.f2py", f"{name}.pyf"], work, [numpy_site])
            (work / "csum.c").write_text(CSUM_C)
            f2py_src = numpy_site / "numpy" / "f2py" / "src"
            source = work / f"{name}module.c"
            extra = (f2py_src / "fortranobject.c", work / "csum.c")
            includes = (include, f2py_src)
    return build_module(cache, name, source.read_text(), includes, extra=extra)


def build_all(cache: Path) -> dict[str, Path]:
    """Every module of the module docstring: name → path."""
    numpy1 = fetch_wheel(cache, NUMPY1)
    numpy2 = fetch_wheel(cache, NUMPY2)
    out = {
        "capi1": build_module(cache, "capi1", CAPI_C, (numpy_include(numpy1),)),
        "capi2": build_module(cache, "capi2", CAPI_C, (numpy_include(numpy2),)),
        "plain": build_module(cache, "plain", PLAIN_C, ()),
    }
    for name, specs in (("pybind3", PYBIND11_NEW), ("pybind211", PYBIND11_OLD)):
        headers = fetch_wheel(cache, specs) / "pybind11" / "include"
        out[name] = build_module(cache, name, PYBIND_CPP, (headers,), cxx=True)
    return out


def run_with_numpy(site: Path, module: Path, code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter that sees ``site`` and ``module``'s dir."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(module.parent)]))
    env.pop("PYTHONHOME", None)
    return subprocess.run(
        [sys.executable, "-s", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
