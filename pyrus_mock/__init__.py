"""pyrus-mock: an in-process fake of Pyrus for testing Pyrus bots.

The names below load on first use (PEP 562), so that ``import pyrus_mock`` and the pytest
plugin's discovery, which pytest does in every session where the package is installed, stay
cheap; ``from pyrus_mock import PyrusMock`` loads the fake itself.

Throughout the package, "contract §N" and "decision Dn" cite ``docs/contract.md``: the Pyrus
behaviour the fake reproduces, each fact with its source, and the choices it makes where Pyrus
is silent (each one a setting).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__ as __version__

if TYPE_CHECKING:
    from .bots import Bot as Bot
    from .clock import RealClock as RealClock
    from .clock import VirtualClock as VirtualClock
    from .conformance import ConformanceReport as ConformanceReport
    from .delivery import Attempt as Attempt
    from .delivery import Delivery as Delivery
    from .engine.violations import Violation as Violation
    from .errors import BotLimitReached as BotLimitReached
    from .errors import BotUrlError as BotUrlError
    from .errors import CommentRejected as CommentRejected
    from .errors import InvalidArgument as InvalidArgument
    from .errors import PyrusMockError as PyrusMockError
    from .errors import ServerThreadError as ServerThreadError
    from .errors import StrictModeError as StrictModeError
    from .errors import UnknownEntity as UnknownEntity
    from .mock import PyrusMock as PyrusMock
    from .model import Rights as Rights
    from .settings import Settings as Settings

_WHERE = {
    "Attempt": ".delivery",
    "Bot": ".bots",
    "BotLimitReached": ".errors",
    "BotUrlError": ".errors",
    "CommentRejected": ".errors",
    "ConformanceReport": ".conformance",
    "Delivery": ".delivery",
    "InvalidArgument": ".errors",
    "PyrusMock": ".mock",
    "PyrusMockError": ".errors",
    "RealClock": ".clock",
    "Rights": ".model",
    "ServerThreadError": ".errors",
    "Settings": ".settings",
    "StrictModeError": ".errors",
    "UnknownEntity": ".errors",
    "Violation": ".engine.violations",
    "VirtualClock": ".clock",
}

__all__ = sorted([*_WHERE, "__version__"])


if not TYPE_CHECKING:  # type checkers see the imports above, and reject unknown names

    def __getattr__(name: str) -> Any:
        where = _WHERE.get(name)
        if where is None:
            raise AttributeError(f"module 'pyrus_mock' has no attribute {name!r}")
        value = getattr(importlib.import_module(where, __name__), name)
        globals()[name] = value  # later look-ups skip this function
        return value


def __dir__() -> list[str]:
    return __all__
