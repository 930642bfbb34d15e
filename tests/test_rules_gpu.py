"""``gpu-to-cpu`` and ``cuda-change`` on real lock-file transitions (issue 14,
points 1, 2 and 5): the CUDA false alarms stay quiet, switches without a
``cpu`` marker are seen, and the CUDA axis reads major-only specs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conda_guard.abi import load_table
from conda_guard.analysis import analyze
from conda_guard.models import ChangeKind, Severity

from .helpers import needs_data, real, state
from .rule_cases import case


def findings(a, rule):
    return [f for f in a.findings if f.rule == rule]


def removed(a):
    return {c.name for c in a.changes if c.kind is ChangeKind.REMOVED}


# -- point 1: a CUDA package leaving is no loss when what stays is satisfied --


def test_cuda12_split_cudatoolkit_leaving_is_no_removal():
    # pangeo ml-notebook 2024-05: cudatoolkit 11.8 leaves, tensorflow and
    # libxgboost are rebuilt against cuda-cudart/libcublas (CUDA 12)
    a = analyze(*case("pangeo-ml-cuda12-split"))
    assert "cudatoolkit" in removed(a)
    assert not findings(a, "broken-dependency")
    (gpu,) = findings(a, "gpu-to-cpu")  # only the real switch: jaxlib
    assert gpu.severity is Severity.HIGH
    assert gpu.message == (
        "jaxlib 0.4.12 cuda112py311hf2474b9_201 (CUDA) is replaced by 0.4.23 "
        "cpu_py311hc0fb0b9_0 (CPU): GPU support is lost"
    )
    (cuda,) = findings(a, "cuda-change")
    assert cuda.severity is Severity.MEDIUM
    assert cuda.message.startswith(
        "the CUDA stack changes from CUDA 11.x to 12.x: cuda-version 11.8 -> 12.4, "
        "cudnn 8.9.7.29 rebuilt, nccl 2.21.5.1 rebuilt,"
    )


def test_toolchain_and_headers_leaving_is_nothing():
    # pangeo ml-notebook 2025-11: the CUDA compiler and headers leave
    a = analyze(*case("pangeo-ml-toolchain-numpy2"))
    gone = removed(a)
    assert {"cuda-nvcc", "cuda-nvcc_linux-64", "cuda-cudart-dev"} <= gone
    assert {"cuda-cudart-static", "cuda-driver-dev_linux-64"} <= gone
    assert not findings(a, "gpu-to-cpu")
    assert not findings(a, "broken-dependency")


def test_metapackage_and_dev_leaving_while_library_stays_is_nothing():
    # scipy's pixi.lock torch-cuda env: cudnn + libcudnn-dev leave, libcudnn
    # stays and satisfies pytorch's 'libcudnn >=9.10.2.21,<10.0a0'
    before, after = case("scipy-torch-cudnn-split")
    a = analyze(before, after)
    assert {"cudnn", "libcudnn-dev"} <= removed(a)
    assert "libcudnn >=9.10.2.21,<10.0a0" in after.get("pytorch").depends
    assert [f.rule for f in a.findings if f.severity >= Severity.LOW] == []


def test_removed_cuda_library_a_staying_build_needs_is_broken_dependency():
    # the same env with libcudnn gone too: pytorch's dependency no longer holds
    before, after = case("scipy-torch-cudnn-split")
    cut = replace(
        after, records={n: r for n, r in after.records.items() if n != "libcudnn"}
    )
    a = analyze(before, cut)
    (f,) = findings(a, "broken-dependency")
    assert f.severity is Severity.HIGH
    assert f.message == "libcudnn is removed but libtorch, pytorch still depend on it"
    assert any("'libcudnn >=9.10.2.21,<10.0a0'" in e for e in f.evidence)
    assert not findings(a, "gpu-to-cpu")


def test_explicit_file_toolchain_and_split_leaving_is_nothing():
    # the same transitions as URLs only (no depends): the toolchain and the
    # cudatoolkit split are known from abi_families.json, not from depends
    strip = {"depends": (), "constrains": ()}
    for name in ("pangeo-ml-toolchain-numpy2", "pangeo-ml-cuda12-split"):
        before, after = case(name)
        b = replace(
            before, records={n: replace(r, **strip) for n, r in before.records.items()}
        )
        x = replace(
            after, records={n: replace(r, **strip) for n, r in after.records.items()}
        )
        a = analyze(b, x)
        assert not [f for f in findings(a, "gpu-to-cpu") if "removed" in f.message]


def test_explicit_file_library_leaving_under_cuda_builds_is_low():
    # pangeo ml-notebook explicit lock, 2021-11: cupy and cutensor leave while
    # tensorflow moves to a CUDA 11.1 build; a solver keeps what stays
    # satisfied, and without depends nothing can be proven (was high)
    a = analyze(*case("pangeo-ml-cutensor-explicit"))
    assert {"cupy", "cutensor"} <= removed(a)
    (f,) = findings(a, "gpu-to-cpu")
    assert f.severity is Severity.LOW
    assert f.message == (
        "cutensor (CUDA) is removed while CUDA builds stay: tensorflow, "
        "tensorflow-base, tensorflow-estimator; the records carry no dependencies, "
        "so whether one of them needs it cannot be proven"
    )


# -- point 2: GPU -> CPU without a cpu marker ---------------------------------


def test_tensorflow_gpu_to_conda_forge_without_marker_from_explicit_file():
    # pangeo ml-notebook explicit lock, 2021-04 -> 2021-05 (the case):
    # tensorflow 2.4.1 gpu_py38h8a7d6ce_0 (pkgs/main) -> py38h578d9bd_0
    # (conda-forge, a CPU build with no marker); the explicit file carries no
    # depends, so the switch is reported, and said to be unprovable
    a = analyze(*case("pangeo-ml-tf-explicit"))
    (f,) = findings(a, "gpu-to-cpu")
    assert f.severity is Severity.MEDIUM
    assert f.message == (
        "tensorflow 2.4.1 gpu_py38h8a7d6ce_0 (CUDA) is replaced by 2.4.1 "
        "py38h578d9bd_0, a build without a CUDA marker; the records carry no "
        "dependencies, so whether it still uses CUDA cannot be proven; "
        "tensorflow-base likewise"
    )
    assert [p.name for p in f.packages] == ["tensorflow", "tensorflow-base"]
    # cudnn and nccl left with it (and are not split packages): said too
    assert any(e.startswith("cudnn 7.6.5.32") for e in f.evidence)


def test_switch_proven_by_depends_without_cpu_marker():
    # the defaults tensorflow metapackage says GPU through the build it pins
    # ('tensorflow-base … gpu_…') and its _tflow_select; a build whose own
    # dependencies (and the builds they pin) name no CUDA is proven CPU
    table = load_table()
    cuda = real("pytorch-2.1.0-py3.11_cuda11.8_cudnn8.7.0_0", "pytorch")
    cpu = real("pytorch-2.1.0-py3.11_cpu_0", "pytorch")
    unmarked = replace(
        cpu,
        build="py3.11_0",
        depends=tuple(d for d in cpu.depends if not d.startswith("pytorch-mutex")),
    )
    assert table.variants(unmarked).get("gpu") is None
    a = analyze(state(cuda), state(unmarked))
    (f,) = findings(a, "gpu-to-cpu")
    assert f.severity is Severity.HIGH
    assert "a build that depends on no CUDA package: GPU support is lost" in f.message
    assert any("'pytorch-cuda >=11.8,<11.9'" in e for e in f.evidence)


def test_unmarked_build_that_still_depends_on_cuda_is_no_switch():
    cuda = real("pytorch-2.1.0-py3.11_cuda11.8_cudnn8.7.0_0", "pytorch")
    unmarked = replace(cuda, build="py3.11_0", build_number=1)
    assert load_table().variants(unmarked)["gpu"] == "cuda"  # the mutex says so
    a = analyze(state(cuda), state(unmarked))
    assert not findings(a, "gpu-to-cpu")


def test_xgboost_cuda_to_cpu_is_high():
    a = analyze(*case("pangeo-ml-xgboost-cpu"))
    (f,) = findings(a, "gpu-to-cpu")
    assert f.severity is Severity.HIGH
    assert f.message.startswith(
        "py-xgboost 3.0.3 cuda129_pyha75543c_0 (CUDA) is replaced by 3.0.4 "
        "cpu_pyhe781eb1_0 (CPU): GPU support is lost"
    )


@needs_data
@pytest.mark.parametrize(
    ("depends", "value"),
    [
        (("_tflow_select 2.1.0 gpu",), "cuda"),
        (("_tflow_select ==2.3.0 mkl",), "cpu"),
        (("_tflow_select 2.2.0 eigen",), "cpu"),
        (("_py-xgboost-mutex 2.0 gpu_0",), "cuda"),
        (("_py-xgboost-mutex 2.0 cpu_0",), "cpu"),
        (("tensorflow-base 2.4.1 gpu_py38h29c2da4_0",), "cuda"),
        (("libtorch 2.10.0 cpu_mkl_h7c10738_104",), "cpu"),
        (("python 3.11.* *_cpython",), None),
    ],
)
def test_selector_and_pinned_build_markers(depends, value):
    # spec texts as the defaults and conda-forge records write them
    rec = replace(real("six-1.16.0-pyh6c4a22f_0"), name="tensorflow", depends=depends)
    assert load_table().variants(rec).get("gpu") == value


# -- point 5: the CUDA axis ----------------------------------------------------


def test_cuda_axis_reads_a_major_only_spec():
    _, after = case("pangeo-ml-toolchain-numpy2")
    libcudnn = after.get("libcudnn")
    assert "cuda-version >=12,<13.0a0" in libcudnn.depends
    assert load_table().variants(libcudnn)["cuda"] == "12"


def test_rebuild_relaxing_the_lower_bound_is_no_cuda_move():
    # pangeo pytorch-notebook 2023: libmagma 2.7.2 h8354cda_0 depends
    # 'cudatoolkit >=11.8,<12', its rebuild h09159a4_1 'cudatoolkit >=11.2,<12':
    # both run with any CUDA 11 (was "the CUDA stack changes: libmagma 2.7.2 ->
    # 2.7.2" and "built for CUDA 11.2")
    a = analyze(*case("pangeo-pytorch-magma-relax"))
    (magma,) = [c for c in a.changes if c.name == "libmagma"]
    assert "cudatoolkit >=11.8,<12" in magma.before.depends
    assert "cudatoolkit >=11.2,<12" in magma.after.depends
    assert "cuda" not in magma.variants
    assert magma.kind is ChangeKind.REBUILT
    assert not findings(a, "cuda-change")


def test_cuda_minor_within_a_major_is_no_finding():
    cv = real("cuda-version-12.9-h4f385c5_3")
    older = replace(cv, version="12.6", build="h7480c83_3")
    a = analyze(state(older), state(cv))
    assert not findings(a, "cuda-change")


def test_cuda_major_move_names_both_majors():
    a = analyze(*case("pangeo-ml-cuda12-split"))
    (f,) = findings(a, "cuda-change")
    assert (
        "libxgboost was built for CUDA 11.x, the new build for CUDA 12.x" in f.evidence
    )
    assert "CUDA None" not in f.message and "11.0" not in f.message
    # the driver must support CUDA 12 now: worth a look, nothing proven broken
    assert f.severity is Severity.MEDIUM


def test_cudnn_major_within_one_cuda_is_low():
    # real records of two pangeo/scipy locks, both for CUDA 12: libcudnn.so.8
    # -> .9 is a soname change, but dependents move with it (run_exports)
    _, old = case("pangeo-ml-cuda12-split")
    new, _ = case("scipy-torch-cudnn-split")
    a = analyze(state(old.get("cudnn")), state(new.get("cudnn")))
    (f,) = findings(a, "cuda-change")
    assert f.severity is Severity.LOW
    assert f.message == "the CUDA stack changes: cudnn 8.9.7.29 -> 9.10.2.21"


def test_noarch_wrappers_relabelled_for_another_cuda_are_no_cuda_move(tmp_path):
    # pangeo ml-notebook aca249be54: py-xgboost/xgboost (noarch) cuda118 ->
    # cuda120 while the CUDA binary libxgboost 2.0.3 cuda118 stays (was medium)
    from .corpus import pair_states

    before, after = pair_states("pangeo-ml-explicit@aca249be54", tmp_path)
    a = analyze(before, after)
    wrappers = [c for c in a.changes if c.name in ("py-xgboost", "xgboost")]
    assert [c.variants.get("cuda") for c in wrappers] == [("11", "12")] * 2
    assert after.get("libxgboost").build.startswith("cuda118")
    assert not findings(a, "cuda-change")
