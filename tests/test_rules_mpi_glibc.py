"""The new rules of issue 14, point 6: ``mpi-switch`` and ``glibc-floor``, on
real lock-file transitions (pangeo-docker-images' ml-notebook)."""

from __future__ import annotations

from dataclasses import replace

from conda_guard.analysis import analyze
from conda_guard.models import Record, Severity
from conda_guard.rules import RULE_IDS

from .helpers import real, state
from .rule_cases import case


def findings(a, rule):
    return [f for f in a.findings if f.rule == rule]


def test_new_rule_ids_are_registered():
    assert {"mpi-switch", "glibc-floor"} <= set(RULE_IDS)


# -- mpi-switch -----------------------------------------------------------------


def test_mpich_to_nompi_without_a_dependent_needing_mpi_is_medium():
    # hdf5, libnetcdf, netcdf-fortran, esmf: mpi_mpich_* -> nompi_*, mpich
    # removed; nothing that stays depends on mpich or an MPI build
    a = analyze(*case("pangeo-ml-mpi-to-nompi"))
    (f,) = findings(a, "mpi-switch")
    assert f.severity is Severity.MEDIUM
    assert f.message == (
        "hdf5 1.14.3 mpi_mpich_h7f58efa_9 (mpich) is replaced by 1.14.3 "
        "nompi_h2d575fe_109 (no MPI): MPI support (parallel I/O, distributed "
        "runs) is lost; esmf, libnetcdf, netcdf-fortran switch with it"
    )
    assert "mpich" in [p.name for p in f.packages]
    assert not findings(a, "broken-dependency")


def test_mpi_build_left_without_its_mpi_is_high():
    # the same transition with esmf's MPI build kept (a partial update, as
    # --no-deps or a hand-merged lock makes): it still depends on mpich
    before, after = case("pangeo-ml-mpi-to-nompi")
    esmf = before.get("esmf")
    assert "mpich >=4.2.3,<5.0a0" in esmf.depends
    partial = replace(after, records={**after.records, "esmf": esmf})
    a = analyze(before, partial)
    (f,) = findings(a, "mpi-switch")
    assert f.severity is Severity.HIGH
    assert any(
        e.startswith("esmf 8.8.0 mpi_mpich_h7cf99a1_100")
        and "'mpich >=4.2.3,<5.0a0'" in e
        for e in f.evidence
    )
    # mpich's removal is reported once, by mpi-switch; parallelio (an MPI-only
    # library esmf also needs) is a plain broken dependency
    assert [f.message for f in findings(a, "broken-dependency")] == [
        "parallelio is removed but esmf still depends on it"
    ]


def test_nompi_to_mpi_is_no_loss():
    before, after = case("pangeo-ml-mpi-to-nompi")
    a = analyze(after, before)
    assert not findings(a, "mpi-switch")


# -- glibc-floor ----------------------------------------------------------------


def test_glibc_floor_raised_by_c_ares_is_medium():
    a = analyze(*case("pangeo-ml-glibc-228"))
    (f,) = findings(a, "glibc-floor")
    assert f.severity is Severity.MEDIUM
    assert f.message == (
        "the environment now needs glibc >= 2.28 (c-ares 1.33.0 ha66036c_0 depends "
        "'__glibc >=2.28,<3.0.a0'); before, glibc 2.17 was enough: systems with an "
        "older glibc can no longer run it"
    )
    assert [p.name for p in f.packages] == ["c-ares"]


def test_glibc_floor_going_down_or_staying_is_nothing():
    before, after = case("pangeo-ml-glibc-228")
    assert not findings(analyze(after, before), "glibc-floor")
    assert not findings(analyze(after, after), "glibc-floor")


def test_glibc_floor_compared_with_the_systems_glibc():
    before, after = case("pangeo-ml-glibc-228")
    for version, severity in (("2.17", Severity.HIGH), ("2.35", Severity.LOW)):
        host = Record("__glibc", version, "0")
        a = analyze(
            replace(before, records={**before.records, "__glibc": host}),
            replace(after, records={**after.records, "__glibc": host}),
        )
        (f,) = findings(a, "glibc-floor")
        assert f.severity is severity
        assert f.message.endswith(f"this system has glibc {version}")


def test_a_record_whose_earlier_depends_a_revision_lost_does_not_raise_the_floor():
    # PREFIX@N knows only name-version-build of a package no longer installed:
    # c-ares 1.33.1 (needs glibc 2.28) replacing a c-ares whose depends are
    # unknown may have needed as much before; a new one is news
    new = real("c-ares-1.33.1-heb4867d_0")
    old = replace(real("c-ares-1.32.3-h4bc722e_0"), depends=())  # as a revision has it
    a = analyze(state(old, revision=1), state(new))
    assert not [f for f in a.findings if f.rule == "glibc-floor"]
    a = analyze(state(real("c-ares-1.32.3-h4bc722e_0")), state(new))
    (f,) = [f for f in a.findings if f.rule == "glibc-floor"]
    assert "needs glibc >= 2.28" in f.message
