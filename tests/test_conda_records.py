"""conda ``PackageRecord`` → ``Record`` and the proposed state of a transaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip(
    "conda", reason="conda is not importable (see docs/dev/conda-from-source.md)"
)

from conda.models.channel import Channel
from conda.models.records import PackageRecord

from conda_guard.adapters.conda_records import (
    record_from_package_record,
    state_after,
)
from conda_guard.models import Record, State

pytestmark = pytest.mark.conda

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TORCH = SHARED / "channels" / "pytorch-linux-64" / "linux-64" / "repodata.json"
HARVESTED = SHARED / "channels" / "harvested"


@pytest.fixture(scope="module")
def torch_records() -> dict[str, dict]:
    if not TORCH.is_file():
        pytest.skip(f"the real records are not here: {TORCH} (../shared/data)")
    return json.loads(TORCH.read_text())["packages"]


def _prec(data: dict, fn: str, channel: str) -> PackageRecord:
    return PackageRecord(
        **{k: v for k, v in data.items() if k not in ("fn",)},
        fn=fn,
        channel=Channel(channel),
        url=f"{channel}/{data['subdir']}/{fn}",
    )


def test_cuda_build_field_by_field(torch_records):
    fn = "pytorch-1.11.0-py3.10_cuda11.1_cudnn8.0.5_0.tar.bz2"
    data = torch_records[fn]
    rec = record_from_package_record(
        _prec(data, fn, "https://conda.anaconda.org/pytorch")
    )
    assert rec == Record(
        name="pytorch",
        version="1.11.0",
        build="py3.10_cuda11.1_cudnn8.0.5_0",
        build_number=0,
        channel="pytorch",
        subdir="linux-64",
        depends=tuple(data["depends"]),
        constrains=("cpuonly <0",),
        url=f"https://conda.anaconda.org/pytorch/linux-64/{fn}",
        md5=data["md5"],
        sha256=data["sha256"],
        fn=fn,
        timestamp=data["timestamp"],
    )
    assert rec.label == "1.11.0 py3.10_cuda11.1_cudnn8.0.5_0 (pytorch)"


def test_noarch_and_track_features():
    path = HARVESTED / "noarch" / "repodata.json"
    if not path.is_file():
        pytest.skip(f"the real records are not here: {path} (../shared/data)")
    repodata = json.loads(path.read_text())
    fn = "filelock-3.15.4-pyhd8ed1ab_0.conda"
    data = repodata["packages.conda"][fn]
    rec = record_from_package_record(
        _prec(data, fn, "https://conda.anaconda.org/conda-forge")
    )
    assert (rec.noarch, rec.channel, rec.subdir) == ("python", "conda-forge", "noarch")
    assert rec.timestamp == 1719088395353  # milliseconds, as in repodata


def test_same_record_as_the_prefix_reader(cuda_env: Path):
    """conda's PrefixRecord and conda-meta/<dist>.json give the same Record."""
    from conda.core.prefix_data import PrefixData

    from conda_guard.readers.prefix import read_prefix_records

    from_json = read_prefix_records(cuda_env)
    pdata = PrefixData(str(cuda_env))
    for name in ("pytorch", "pytorch-mutex", "cudatoolkit", "python", "libblas"):
        assert record_from_package_record(pdata.get(name)) == from_json[name], name


def _state(*recs: Record) -> State:
    return State.from_records(
        recs, source="p", kind="prefix", prefix="/p", explicit={"pytorch": "pytorch"}
    )


def test_state_after_replaces_unlinked_and_keeps_the_rest(torch_records):
    cuda_fn = "pytorch-1.11.0-py3.10_cuda11.1_cudnn8.0.5_0.tar.bz2"
    cpu_fn = "pytorch-1.12.1-py3.10_cpu_0.tar.bz2"
    channel = "https://conda.anaconda.org/pytorch"
    cuda = _prec(torch_records[cuda_fn], cuda_fn, channel)
    cpu = _prec(torch_records[cpu_fn], cpu_fn, channel)
    other = Record(
        name="mkl", version="2022.0.1", build="h8d4b97c_803", files=("lib/x",)
    )
    before = _state(record_from_package_record(cuda), other)
    after = state_after(before, [cuda], [cpu], requested={"pytorch": "pytorch=1.12.1"})
    assert after.get("pytorch").build == "py3.10_cpu_0"
    assert after.get("mkl") is other and after.get("mkl").files == ("lib/x",)
    assert after.explicit == {"pytorch": "pytorch=1.12.1"}
    assert (after.kind, after.prefix) == ("transaction", "/p")
    assert before.get("pytorch").build == "py3.10_cuda11.1_cudnn8.0.5_0"  # untouched


def test_state_after_keeps_pip_records():
    pip = Record(name="torch", version="2.0", build="pypi_0", channel="pypi", pip=True)
    before = _state(pip)
    removed = PackageRecord(name="torch", version="2.0", build="pypi_0", build_number=0)
    assert state_after(before, [removed], []).get("torch") is pip
