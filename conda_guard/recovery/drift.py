"""Drift between an environment.yml, its locks and the prefix, without solving.

The environment.yml against each lock follows pixi's lock-file satisfiability
rules (pixi docs, "Lock file satisfiability"): every channel of the yml is a
channel of the lock; every conda spec is met by the locked package of that
name (version, build and channel, as a match spec reads them); every pip spec
by a locked or, failing that, an installed pip distribution; one entry per
package; and, as pixi's code also checks, every dependency of a locked package
is met by another locked package (virtual ``__`` packages aside). Each lock
against the prefix (or, without a prefix, against the other locks): the same
names with the same version, build and sha256.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..exceptions import InputError, UsageError
from ..matchspec import MatchSpec
from ..models import channel_name
from ..readers.pip_dists import normalize_pip_name
from ..version import InvalidVersion, parse_version_spec

if TYPE_CHECKING:
    from ..models import Record, State

LOCK_FORMATS = ("conda-lock", "pixi-lock", "explicit")


@dataclass
class Check:
    """One comparison and what differs."""

    left: str
    right: str
    differences: list[str] = field(default_factory=list)
    summary: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "left": self.left,
            "right": self.right,
            "drift": bool(self.differences),
            "differences": self.differences,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class Lock:
    """A lock file read for one platform, with its channels."""

    path: str
    fmt: str
    state: State
    channels: tuple[str, ...]
    entries: int  # package entries for the platform (duplicates show here)


def _lock_channels(path: str, fmt: str, state: State) -> tuple[str, ...]:
    from ..readers.env_yaml import load_yaml

    if fmt == "explicit":
        return tuple(dict.fromkeys(r.channel for r in state if r.channel and not r.pip))
    data = load_yaml(path)
    if fmt == "conda-lock":
        raw = (data.get("metadata") or {}).get("channels") or []
    else:
        envs = data.get("environments") or {}
        raw = (envs.get("default") or {}).get("channels") or []
    out = []
    for ch in raw:
        url = ch.get("url") if isinstance(ch, dict) else ch
        if isinstance(url, str):
            out.append(channel_name(url))
    return tuple(out)


def _entries(path: str, fmt: str, state: State) -> int:
    if fmt != "conda-lock":
        return len(state)
    from ..readers.env_yaml import load_yaml

    data = load_yaml(path)
    return sum(
        1
        for e in data.get("package") or []
        if isinstance(e, dict) and str(e.get("platform")) == state.platform
    )


def read_lock(path: str, fmt: str, platform: str | None) -> Lock:
    """A lock file as a :class:`Lock`."""
    from ..readers import read_state

    state = read_state(path, fmt, platform=platform)
    return Lock(
        path, fmt, state, _lock_channels(path, fmt, state), _entries(path, fmt, state)
    )


# -- environment.yml against a lock ------------------------------------------------


@dataclass(frozen=True)
class EnvFile:
    """The specs and channels of an environment.yml."""

    path: str
    channels: tuple[str, ...]
    conda: dict[str, str]
    pip: tuple[str, ...]


def read_env_file(path: str) -> EnvFile:
    """The channels, conda specs and pip specs of an environment file."""
    from ..readers.env_yaml import load_yaml, read_env_specs

    data = load_yaml(path)
    conda = read_env_specs(path)
    channels = tuple(
        channel_name(str(c))
        for c in data.get("channels") or ()
        if str(c) != "nodefaults"
    )
    pip: list[str] = []
    for dep in data.get("dependencies") or ():
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            pip += [str(x) for x in dep["pip"]]
    return EnvFile(path, channels, conda, tuple(pip))


def _pip_ok(spec_text: str, records: dict[str, Record]) -> tuple[str, bool | None]:
    name = spec_text
    for sep in ("==", ">=", "<=", "~=", "!=", ">", "<", "[", " ", ";"):
        name = name.split(sep, 1)[0]
    key = normalize_pip_name(name.strip())
    rec = records.get(key)
    if rec is None:
        return key, None
    rest = spec_text[len(name) :].split(";", 1)[0].strip()
    if not rest:
        return key, True
    try:
        return key, parse_version_spec(rest.replace(" ", "")).match(rec.version)
    except InvalidVersion:
        return key, False


def _pip_records(state: State | None) -> dict[str, Record]:
    if state is None:
        return {}
    return {normalize_pip_name(r.name): r for r in state if r.pip}


def _closure(lock: Lock) -> list[str]:
    by_name = {r.name.lower(): r for r in lock.state if not r.pip}
    out = []
    for rec in by_name.values():
        for dep in rec.depends:
            try:
                spec = MatchSpec.parse(dep)
            except ValueError:
                continue
            if spec.name.startswith("__"):
                continue
            target = by_name.get(spec.name)
            if target is None:
                out.append(f"locked {rec.name} depends on '{dep}': not in the lock")
            elif not spec.match(target):
                out.append(
                    f"locked {rec.name} depends on '{dep}': the lock has "
                    f"{target.name} {target.version} {target.build}"
                )
    return out


def env_against_lock(env: EnvFile, lock: Lock, prefix: State | None) -> Check:
    """pixi's satisfiability rules (see the module docstring)."""
    check = Check(env.path, lock.path)
    diff = check.differences
    for ch in env.channels:
        if ch not in lock.channels:
            diff.append(f"channel {ch} is not a channel of the lock")
    for name, text in sorted(env.conda.items()):
        rec = lock.state.get(name)
        if rec is None or rec.pip:
            diff.append(f"'{text}': {name} is not in the lock")
            continue
        try:
            ok = MatchSpec.parse(text).match(rec)
        except ValueError:
            ok = False
        if not ok:
            diff.append(
                f"'{text}' is not met by the locked {name} {rec.version} {rec.build}"
            )
    locked_pip, installed = _pip_records(lock.state), _pip_records(prefix)
    for text in env.pip:
        key, ok = _pip_ok(text, locked_pip)
        where = "locked"
        if ok is None:
            key, ok = _pip_ok(text, installed)
            where = "installed"
        if ok is None:
            diff.append(f"pip '{text}': {key} is neither locked nor installed")
        elif not ok:
            rec = (locked_pip if where == "locked" else installed)[key]
            diff.append(f"pip '{text}' is not met by the {where} {key} {rec.version}")
    if lock.entries != len(lock.state):
        diff.append(
            f"the lock has {lock.entries} entries for {len(lock.state)} packages "
            "(a package is locked twice)"
        )
    diff += _closure(lock)
    check.summary = (
        f"{len(env.conda)} conda and {len(env.pip)} pip specs, "
        f"{len(lock.state)} locked packages"
    )
    return check


# -- a lock against the prefix (or another lock) -------------------------------------


def _label(rec: Record | None) -> str:
    return f"{rec.version} {rec.build}".strip() if rec is not None else "-"


def states_differ(
    left: State, right: State, *, left_word: str, right_word: str
) -> list[str]:
    """Per package: missing on a side, or another version, build or sha256."""
    out = []
    for name in sorted(set(left.records) | set(right.records)):
        a, b = left.get(name), right.get(name)
        if a is None or b is None:
            side = right_word if a is None else left_word
            other = b if a is None else a
            out.append(f"{name}: only {side} ({_label(other)})")
            continue
        if (a.version, a.build) != (b.version, b.build) and not (a.pip and b.pip):
            out.append(f"{name}: {left_word} {_label(a)}, {right_word} {_label(b)}")
        elif a.pip and b.pip and a.version != b.version:
            out.append(
                f"{name}: {left_word} {a.version}, {right_word} {b.version} (pip)"
            )
        elif a.sha256 and b.sha256 and a.sha256 != b.sha256:
            out.append(
                f"{name}: same {a.version} {a.build}, but sha256 {a.sha256[:12]}... "
                f"{left_word}, {b.sha256[:12]}... {right_word}"
            )
    return out


def lock_against(lock: Lock, other: State, other_label: str, word: str) -> Check:
    """A lock against the prefix (``word`` "installed") or another lock."""
    check = Check(lock.path, other_label)
    mine = lock.state
    if word == "installed" and not any(r.pip for r in mine):
        # a lock without pip entries says nothing about pip installs
        other = replace(
            other, records={k: r for k, r in other.records.items() if not r.pip}
        )
    check.differences = states_differ(mine, other, left_word="locked", right_word=word)
    check.summary = f"{len(mine)} locked, {len(other)} {word}"
    return check


# -- the command's core ---------------------------------------------------------------


def drift(paths: list[str], prefix: str | None, platform: str | None) -> list[Check]:
    """Every check for these files (and the prefix when given)."""
    from ..readers import detect, read_state

    if not paths:
        raise UsageError("drift needs at least one file (environment.yml, a lock)")
    envs, locks = [], []
    for path in paths:
        if not Path(path).is_file():
            raise InputError(path, "no such file")
        fmt = detect(path)
        if fmt == "env-yaml":
            envs.append(read_env_file(path))
        elif fmt in LOCK_FORMATS:
            locks.append((path, fmt))
        else:
            raise UsageError(
                f"{path}: a {fmt} is neither an environment file nor a lock"
            )
    if envs and not locks:
        raise UsageError(
            "drift: give a lock file to check the environment file against"
        )
    state = read_state(prefix, "prefix") if prefix else None
    plat = platform or (state.platform if state is not None else None)
    read = [read_lock(p, f, plat) for p, f in locks]
    checks = [env_against_lock(e, lock, state) for e in envs for lock in read]
    if state is not None:
        checks += [lock_against(lock, state, str(prefix), "installed") for lock in read]
    else:
        for lock in read[1:]:
            checks.append(
                lock_against(read[0], lock.state, lock.path, f"in {lock.path}")
            )
    return checks
