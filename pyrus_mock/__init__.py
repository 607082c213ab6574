"""pyrus-mock: an in-process fake of Pyrus for testing Pyrus bots."""

from ._version import __version__ as __version__
from .clock import RealClock as RealClock
from .clock import VirtualClock as VirtualClock
from .engine.violations import Violation as Violation
from .errors import (
    BotLimitReached as BotLimitReached,
)
from .errors import (
    BotUrlError as BotUrlError,
)
from .errors import (
    CommentRejected as CommentRejected,
)
from .errors import (
    InvalidArgument as InvalidArgument,
)
from .errors import (
    PyrusMockError as PyrusMockError,
)
from .errors import (
    UnknownEntity as UnknownEntity,
)
from .mock import PyrusMock as PyrusMock
from .model import Rights as Rights
from .settings import Settings as Settings

__all__ = [
    "BotLimitReached",
    "BotUrlError",
    "CommentRejected",
    "InvalidArgument",
    "PyrusMock",
    "PyrusMockError",
    "RealClock",
    "Rights",
    "Settings",
    "UnknownEntity",
    "Violation",
    "VirtualClock",
    "__version__",
]
