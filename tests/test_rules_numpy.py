"""``numpy-abi`` (issue 14, point 3): high only with proof — a dependency that
excludes the new numpy, or an extension module compiled against the 1.x
headers — and metadata that proves nothing said as such.

The file facts come from a small in-test :class:`~conda_guard.facts.FileFacts`
(it stands for a package's files, not for a solver); the scanner that reads
real extension modules is tested with the binaries layer.
"""

from __future__ import annotations

from dataclasses import replace

from conda_guard.analysis import analyze
from conda_guard.facts import ExtensionApi, NumpyApi
from conda_guard.models import Severity
from conda_guard.readers import read_state

from .helpers import EXAMPLES, needs_data, real, state
from .rule_cases import case

pytestmark = needs_data

SO = "lib/python3.12/site-packages/lightgbm/lib_lightgbm.so"


class Files:
    """FileFacts over a dict: record name -> its extension modules (None: the
    files are not available)."""

    def __init__(self, modules):
        self.modules = modules
        self.asked = []

    def numpy_api(self, record, side):
        self.asked.append((record.name, side))
        return self.modules.get(record.name)


def ml_env():
    return read_state(str(EXAMPLES / "ml-env@1")), read_state(str(EXAMPLES / "ml-env"))


def only(a, rule="numpy-abi"):
    found = [f for f in a.findings if f.rule == rule]
    assert len(found) == 1, [(f.rule, f.message) for f in a.findings]
    return found[0]


def test_extension_built_against_numpy1_staying_under_numpy2_is_high():
    files = Files(
        {
            "lightgbm": (
                ExtensionApi(SO, NumpyApi.V1, "names numpy.core._multiarray_umath"),
            )
        }
    )
    f = only(analyze(*ml_env(), files=files))
    assert f.severity is Severity.HIGH
    assert f.message == (
        "numpy 1.26.4 -> 2.3.0 crosses the NumPy C-API major version under "
        "packages built against the old one: lightgbm"
    )
    assert any(
        e.startswith("lightgbm 4.1.0 py312h30efb56_2 (conda-forge): " + SO)
        and "fails to import under numpy 2.3.0" in e
        for e in f.evidence
    )
    assert ("lightgbm", "after") in files.asked


def test_no_capi_use_is_not_high():
    # lightgbm loads lib_lightgbm.so through ctypes: no import_array
    files = Files({"lightgbm": (ExtensionApi(SO, NumpyApi.NONE),)})
    f = only(analyze(*ml_env(), files=files))
    assert f.severity is Severity.MEDIUM
    assert f.message.endswith("declare support for it or use no NumPy C-API (lightgbm)")
    assert any("no NumPy C-API use" in e for e in f.evidence)


def test_extension_built_against_numpy2_is_fine():
    files = Files({"lightgbm": (ExtensionApi(SO, NumpyApi.V2),)})
    f = only(analyze(*ml_env(), files=files))
    assert f.severity is Severity.MEDIUM
    assert "lightgbm" not in f.message


def test_files_not_available_is_said():
    f = only(analyze(*ml_env(), files=Files({})))
    assert f.severity is Severity.MEDIUM
    assert f.message.endswith(
        "(no upper bound on numpy; their files are not available)"
    )


def test_spec_excluding_new_numpy_stays_high_without_files():
    py = real("python-3.12.13-hd63d673_0_cpython")
    old_pandas = real("pandas-2.1.3-py312hfb8ada1_0")  # numpy >=1.26.0,<2.0a0
    before = state(py, old_pandas, real("numpy-1.26.4-py312heda63a1_0"))
    after = state(py, old_pandas, real("numpy-2.3.0-py312h6cf2f7f_0"))
    f = only(analyze(before, after))
    assert f.severity is Severity.HIGH
    assert "pandas" in f.message
    assert not [
        x for x in analyze(before, after).findings if x.rule == "broken-dependency"
    ]


def test_noarch_dependents_of_a_lock_file_are_not_compiled():
    # conda-lock records give the subdir, not the noarch field: bqplot, dask,
    # xarray … (noarch) were listed as compiled before issue 14
    a = analyze(*case("pangeo-ml-toolchain-numpy2"))
    f = only(a)
    assert f.severity is Severity.MEDIUM
    for name in ("bqplot", "dask", "seaborn-base", "xarray-spatial"):
        assert name not in f.message
    assert "contourpy" in f.message and "cannot be proven from metadata" in f.message
    assert any(
        "conda-lock.yml keeps one spec per dependency name" in e for e in f.evidence
    )


def test_contourpy_staying_under_numpy2_is_medium_not_high():
    # CryoInTheCloud hub-image: numpy 1.26.4 -> 2.4.3, contourpy (pybind11,
    # 'numpy >=1.25') stays: nothing proves it uses numpy's C-API
    a = analyze(*case("cryo-numpy2"))
    f = only(a)
    assert f.severity is Severity.MEDIUM
    assert "contourpy" in f.message


# -- newly installed compiled packages next to numpy >= 2 -----------------------


def test_new_package_built_before_numpy2_next_to_numpy2_is_medium():
    before, after = ml_env()
    without = replace(
        after, records={n: r for n, r in after.records.items() if n != "lightgbm"}
    )
    f = only(analyze(without, after))
    assert f.severity is Severity.MEDIUM
    assert f.message == (
        "lightgbm is installed next to numpy 2.3.0 py312h6cf2f7f_0 but built before "
        "numpy 2.0 existed; whether it uses the NumPy C-API cannot be proven from "
        "metadata"
    )


def test_new_package_with_numpy1_extension_next_to_numpy2_is_high():
    _, after = ml_env()
    without = replace(
        after, records={n: r for n, r in after.records.items() if n != "lightgbm"}
    )
    files = Files({"lightgbm": (ExtensionApi(SO, NumpyApi.V1),)})
    f = only(analyze(without, after, files=files))
    assert f.severity is Severity.HIGH
    assert f.message == (
        "lightgbm is installed next to numpy 2.3.0 py312h6cf2f7f_0 but built "
        "against numpy 1.x"
    )
    assert any(SO in e for e in f.evidence)


def test_new_package_built_after_numpy2_without_proof_is_quiet():
    # contourpy 1.3.2 (2025, pybind11, 'numpy >=1.23'): no finding from metadata
    py = real("python-3.12.13-hd63d673_0_cpython")
    np2 = real("numpy-2.3.0-py312h6cf2f7f_0")
    new = real("contourpy-1.3.2-py312h68727a3_0")
    a = analyze(state(py, np2), state(py, np2, new))
    assert not [f for f in a.findings if f.rule == "numpy-abi"]


def test_new_package_excluding_unchanged_numpy2_is_high():
    # pyarrow 14.0.2 requires 'numpy >=1.22.4,<2.0a0': an old build pulled in
    py = real("python-3.10.2-h85951f9_3_cpython")
    np2 = real("numpy-2.2.6-py310hefbff90_0")
    old = real("pyarrow-14.0.2-py310hf9e7431_1_cpu")
    a = analyze(state(py, np2), state(py, np2, old))
    f = only(a)
    assert f.severity is Severity.HIGH
    assert f.message.startswith("pyarrow is installed next to numpy 2.2.6")
    assert any("'numpy >=1.22.4,<2.0a0'" in e for e in f.evidence)


def test_explicit_file_claims_nothing_about_dependents():
    # URLs only: no dependent is known, so none is said to declare support
    strip = {"depends": (), "constrains": ()}
    before, after = case("pangeo-ml-toolchain-numpy2")
    b = replace(
        before, records={n: replace(r, **strip) for n, r in before.records.items()}
    )
    x = replace(
        after, records={n: replace(r, **strip) for n, r in after.records.items()}
    )
    f = only(analyze(b, x))
    assert f.severity is Severity.MEDIUM
    assert f.message == (
        "numpy 1.26.4 -> 2.3.4 crosses the NumPy C-API major version; the records "
        "carry no dependencies, so which compiled packages were built against numpy "
        "1.x cannot be proven"
    )
