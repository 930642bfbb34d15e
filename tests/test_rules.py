"""The acceptance cases of the foundation issue, on states built from real
conda-forge (harvested channel) and pytorch-channel records."""

from __future__ import annotations

import pytest

from conda_guard.analysis import analyze
from conda_guard.models import ChangeKind, Severity
from conda_guard.policy import Policy
from conda_guard.readers import read_state

from .helpers import DATA, EXAMPLES, needs_data, real, state

pytestmark = needs_data


def findings_of(analysis, rule):
    return [f for f in analysis.findings if f.rule == rule]


def only(analysis, rule):
    found = findings_of(analysis, rule)
    assert len(found) == 1, [f.rule for f in analysis.findings]
    return found[0]


def test_numpy_major_with_unbounded_compiled_dependent_is_medium_from_metadata():
    # Changed with issue 14 (was high): an unbounded numpy dependency is no
    # proof. lightgbm loads its library through ctypes; from metadata alone
    # the guard says what it cannot prove, and shows the build date that
    # rules out numpy 2 headers. The files decide (test_rules_numpy.py).
    before = read_state(str(EXAMPLES / "ml-env@1"))
    after = read_state(str(EXAMPLES / "ml-env"))
    a = analyze(before, after)
    f = only(a, "numpy-abi")
    assert f.severity is Severity.MEDIUM
    assert f.packages[0].before.build == "py312heda63a1_0"
    assert f.packages[0].after.build == "py312h6cf2f7f_0"
    assert f.message == (
        "numpy 1.26.4 -> 2.3.0 crosses the NumPy C-API major version; whether "
        "lightgbm was compiled against numpy 1.x cannot be proven from metadata "
        "(no upper bound on numpy)"
    )
    assert any(
        "lightgbm 4.1.0 py312h30efb56_2" in e and "no upper bound" in e
        for e in f.evidence
    )
    assert any("built on 2023-10-25, before numpy 2.0" in e for e in f.evidence)
    assert f.why == ("requested 'numpy>=2' -> numpy 2.3.0 py312h6cf2f7f_0",)


def test_numpy_major_with_bounded_dependents_is_medium():
    py = real("python-3.12.13-hd63d673_0_cpython")
    pandas = real("pandas-2.2.2-py312h1d6d2e6_1")  # numpy >=1.19,<3: built for 2.x
    before = state(py, pandas, real("numpy-1.26.4-py312heda63a1_0"))
    after = state(py, pandas, real("numpy-2.3.0-py312h6cf2f7f_0"))
    f = only(analyze(before, after), "numpy-abi")
    assert f.severity is Severity.MEDIUM


def test_numpy_dependent_whose_spec_excludes_new_numpy_is_high():
    py = real("python-3.12.13-hd63d673_0_cpython")
    old_pandas = real("pandas-2.1.3-py312hfb8ada1_0")  # numpy >=1.26.0,<2.0a0
    before = state(py, old_pandas, real("numpy-1.26.4-py312heda63a1_0"))
    after = state(py, old_pandas, real("numpy-2.3.0-py312h6cf2f7f_0"))
    f = only(analyze(before, after), "numpy-abi")
    assert f.severity is Severity.HIGH
    assert any("requires 'numpy >=1.26.0,<2.0a0'" in e for e in f.evidence)


def test_blas_openblas_to_mkl_is_blas_switch():
    np = real("numpy-2.3.0-py312h6cf2f7f_0")
    before = state(
        np,
        real("libblas-3.11.0-5_h4a7cf45_openblas"),
        real("libopenblas-0.3.30-pthreads_h94d23a6_4"),
        explicit={"numpy": "numpy"},
    )
    after = state(
        np,
        real("libblas-3.11.0-8_h5875eb1_mkl"),
        real("mkl-2026.0.0-h0e700b2_915"),
        explicit={"numpy": "numpy", "libblas": "libblas=*=*mkl"},
    )
    f = only(analyze(before, after), "blas-switch")
    assert f.severity is Severity.MEDIUM
    assert "from openblas to mkl" in f.message
    assert "5_h4a7cf45_openblas" in f.message and "8_h5875eb1_mkl" in f.message
    assert any("track_features 'blas_mkl blas_mkl_2'" in e for e in f.evidence)
    assert f.why == ("requested 'libblas=*=*mkl' -> libblas 3.11.0 8_h5875eb1_mkl",)


def test_pytorch_cuda_to_cpu_is_gpu_to_cpu_high():
    cuda = real("pytorch-2.1.0-py3.11_cuda11.8_cudnn8.7.0_0", "pytorch")
    cpu = real("pytorch-2.1.0-py3.11_cpu_0", "pytorch")
    a = analyze(state(cuda), state(cpu))
    f = only(a, "gpu-to-cpu")
    assert f.severity is Severity.HIGH
    assert "py3.11_cuda11.8_cudnn8.7.0_0" in f.message and "py3.11_cpu_0" in f.message
    assert any("'pytorch-cuda >=11.8,<11.9'" in e for e in f.evidence)
    (change,) = a.changes
    assert change.kind is ChangeKind.VARIANT_SWITCH
    assert change.variants["gpu"] == ("cuda", "cpu")


def test_python_311_to_312_is_python_minor():
    a = analyze(
        state(real("python-3.11.13-h9e4cc4f_0_cpython")),
        state(real("python-3.12.13-hd63d673_0_cpython")),
    )
    f = only(a, "python-minor")
    assert f.severity is Severity.MEDIUM
    assert "3.11.13 h9e4cc4f_0_cpython -> 3.12.13 hd63d673_0_cpython" in f.message


def test_python_minor_with_pip_packages_is_high():
    # Changed with issue 14: only pip dists of an installed prefix stay behind
    # (a lock file's pypi entries are resolved again: test_rules_python.py).
    from conda_guard.models import Record

    pip = Record("torch", "2.13.0", "pypi_0", channel="pypi", pip=True)
    a = analyze(
        state(real("python-3.11.13-h9e4cc4f_0_cpython"), pip, kind="prefix"),
        state(real("python-3.12.13-hd63d673_0_cpython"), pip, kind="prefix"),
    )
    f = only(a, "python-minor")
    assert f.severity is Severity.HIGH
    assert "torch" in f.message


def test_pure_noarch_bump_gives_nothing_above_info():
    py = real("python-3.12.13-hd63d673_0_cpython")
    a = analyze(
        state(py, real("six-1.16.0-pyh6c4a22f_0")),
        state(py, real("six-1.17.0-pyhe01879c_1")),
    )
    assert [c.kind for c in a.changes] == [ChangeKind.UPGRADED]
    assert all(f.severity <= Severity.INFO for f in a.findings)


def test_openssl_3_to_1_downgrade():
    before = state(real("openssl-3.0.0-h7f98852_2"))
    after = state(real("openssl-1.1.1q-h166bdaf_0"))
    a = analyze(before, after)
    f = only(a, "openssl-major")
    assert "(downgrade)" in f.message
    # nothing depends on openssl here: nothing is proven either way
    assert f.severity is Severity.LOW
    assert only(a, "downgrade").severity is Severity.LOW


def test_openssl_major_under_a_build_for_the_old_one_is_high():
    # python 3.10.2 h85951f9_3 was built for openssl 1.1 ('<1.1.2a') and stays
    py = real("python-3.10.2-h85951f9_3_cpython")
    a = analyze(
        state(real("openssl-1.1.1q-h166bdaf_0"), py),
        state(real("openssl-3.0.0-h7f98852_2"), py),
    )
    f = only(a, "openssl-major")
    assert f.severity is Severity.HIGH
    assert f.message.endswith(": python still need the old one")
    assert any("'openssl >=1.1.1" in e for e in f.evidence)


def test_openssl_major_with_every_dependent_rebuilt_is_low():
    # the same python version, built for each openssl: a re-solve
    a = analyze(
        state(
            real("openssl-1.1.1q-h166bdaf_0"), real("python-3.10.2-h85951f9_3_cpython")
        ),
        state(
            real("openssl-3.0.0-h7f98852_2"), real("python-3.10.2-hc74c709_3_cpython")
        ),
    )
    f = only(a, "openssl-major")
    assert f.severity is Severity.LOW
    assert "every package that depends on openssl accepts the new one" in f.message


def test_openmp_switch_gnu_to_llvm():
    # conda-forge's supported switch: the mutex moves every user with it (low)
    a = analyze(
        state(real("_openmp_mutex-4.5-20_gnu")),
        state(real("_openmp_mutex-4.5-7_kmp_llvm")),
    )
    f = only(a, "openmp-switch")
    assert "from gnu to llvm" in f.message
    assert f.severity is Severity.LOW


def test_openmp_switch_under_a_package_needing_the_old_runtime_is_high():
    # mkl depends '_openmp_mutex * *_llvm': back to GNU, that no longer holds
    mkl = real("mkl-2025.3.0-h0e700b2_462")
    a = analyze(
        state(real("_openmp_mutex-4.5-7_kmp_llvm"), mkl),
        state(real("_openmp_mutex-4.5-20_gnu"), mkl),
    )
    f = only(a, "openmp-switch")
    assert f.severity is Severity.HIGH
    assert f.message.endswith(": mkl still need the llvm runtime")


def test_channel_switch_and_explicit_spec():
    # a same-version numpy from another channel stays medium (issue 10.8): the
    # C-API is numpy's version, not the channel's; docs/rules.md says why
    from dataclasses import replace

    np_cf = real("numpy-1.26.4-py312heda63a1_0")
    np_main = replace(np_cf, channel="pkgs/main")
    a = analyze(
        state(np_cf, explicit={"numpy": "numpy=1.26"}),
        state(np_main, explicit={"numpy": "numpy=1.26"}),
    )
    assert only(a, "channel-mix").severity is Severity.MEDIUM
    assert "conda-forge -> pkgs/main" in only(a, "channel-mix").message
    assert "moved channel" in only(a, "explicit-spec").message


def test_removed_dependency_is_broken_dependency():
    lib = real("libzlib-1.3.2-h25fd6f3_2")
    user = real("zstd-1.5.7-hb78ec9c_6")
    a = analyze(state(lib, user), state(user))
    f = only(a, "broken-dependency")
    assert f.severity is Severity.HIGH
    assert "zstd" in f.message


def test_frozen_env_blocks_any_change():
    np1, np2 = real("numpy-1.26.4-py312heda63a1_0"), real("numpy-2.3.0-py312h6cf2f7f_0")
    a = analyze(
        state(np1, frozen='{"message": "shared CI image"}', prefix="/envs/ci"),
        state(np2),
    )
    f = only(a, "frozen")
    assert f.severity is Severity.HIGH and "shared CI image" in f.message


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (Policy(), {"numpy-abi"}),
        (Policy(ignore=frozenset({"numpy-abi"})), set()),
        (Policy(allow=("numpy",)), set()),
        (Policy(allow=("numpy >=3",)), {"numpy-abi"}),
    ],
    ids=["none", "ignore-rule", "allow-name", "allow-spec-not-matching"],
)
def test_policy_filters(policy, expected):
    before = read_state(str(EXAMPLES / "ml-env@1"))
    after = read_state(str(EXAMPLES / "ml-env"))
    a = analyze(before, after, policy=policy)
    assert {f.rule for f in a.findings} == expected
    if not expected:
        assert any("not shown" in n for n in a.notes)


def test_cuda_to_cpu_stack_is_one_finding_naming_the_requested_package():
    pt = ("pytorch-2.1.0-py3.11_cuda11.8_cudnn8.7.0_0", "pytorch-2.1.0-py3.11_cpu_0")
    tv = ("torchvision-0.16.0-py311_cu118", "torchvision-0.16.0-py311_cpu")
    before = state(real(pt[0], "pytorch"), real(tv[0], "pytorch"))
    after = state(
        real(pt[1], "pytorch"),
        real(tv[1], "pytorch"),
        explicit={"torchvision": "torchvision"},
    )
    f = only(analyze(before, after), "gpu-to-cpu")
    assert f.message == (
        "torchvision 0.16.0 py311_cu118 (CUDA) is replaced by 0.16.0 py311_cpu (CPU): "
        "GPU support is lost; pytorch switches to CPU with it"
    )
    assert [p.name for p in f.packages] == ["torchvision", "pytorch"]
    assert any("'pytorch-cuda 11.8.*'" in e for e in f.evidence)


def test_a_history_revision_does_not_claim_every_dependent():
    # chemtools@3 rebuilds python for openssl 1.1; the other records of a
    # revision come from the history, which keeps no dependencies
    prefix = DATA / "prefixes" / "chemtools-win64-mkl-openssl-downgrade"
    a = analyze(read_state(f"{prefix}@2"), read_state(f"{prefix}@3"))
    f = only(a, "openssl-major")
    assert f.severity is Severity.LOW
    assert "whose dependencies are known accept the new one" in f.message
    assert "every package" not in f.message


def test_channel_pairs_of_a_record_the_history_knows_no_depends_of_are_not_new():
    # gpu-env@0's pytorch 1.11 comes from the history (not installed any more):
    # its links to conda-forge's blas, mkl and python were there before too
    gpu = EXAMPLES.parent / "docs" / "examples" / "gpu-env"
    a = analyze(read_state(f"{gpu}@0"), read_state(str(gpu)))
    assert not [f for f in a.findings if f.rule == "channel-mix"]


def test_a_new_package_linking_another_channel_is_channel_mix():
    from dataclasses import replace

    py = real("python-3.12.13-hd63d673_0_cpython")
    np_main = replace(real("numpy-1.26.4-py312heda63a1_0"), channel="pkgs/main")
    a = analyze(state(py), state(py, np_main))
    f = only(a, "channel-mix")
    assert f.message.startswith("compiled packages from different channels now link")
    assert "numpy -> python" in f.message
