"""Facts read from files on disk, as the rules see them.

The rules are pure functions of two states; some questions can only be
answered from the files a package ships (which NumPy C-API an extension
module was compiled against). The binaries layer answers them and hands the
answers to the rules through :class:`FileFacts`; where no files are known
(lock files, explicit files) the rules get ``None`` and say that the point
cannot be proven from metadata.

This module is the contract between :mod:`conda_guard.binaries` (which
implements it) and :mod:`conda_guard.rules` (which reads it). It imports only
the standard library.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from .models import Record


class NumpyApi(str, enum.Enum):
    """Which NumPy C-API headers an extension module was compiled against."""

    #: names only ``numpy.core._multiarray_umath`` (``import_array`` of 1.x headers)
    V1 = "1.x"
    #: names ``numpy._core._multiarray_umath`` (2.x headers try it first)
    V2 = "2.x"
    #: names neither: does not use the C-API through ``import_array``
    NONE = "none"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ExtensionApi:
    """One extension module of a package and the NumPy C-API it uses.

    ``file`` is the path relative to the prefix (or package directory) as a
    user can look it up; ``detail`` says what was seen in the file (the
    import string found, or that none was).
    """

    file: str
    api: NumpyApi
    detail: str = ""


Side = Literal["before", "after"]


class FileFacts(Protocol):
    """What the files of a state's packages say, when the files are known."""

    def numpy_api(self, record: Record, side: Side) -> tuple[ExtensionApi, ...] | None:
        """The record's extension modules and their NumPy C-API use.

        ``None`` when the package's files are not available (nothing can be
        proven); ``()`` when the package ships no Python extension module.
        """
        ...
