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
    from .clock import Clock as Clock
    from .clock import RealClock as RealClock
    from .clock import Scheduled as Scheduled
    from .clock import VirtualClock as VirtualClock
    from .conformance import CheckResult as CheckResult
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
    from .importing import ImportRefused as ImportRefused
    from .importing.records import Imported as Imported
    from .importing.replay import ReplayReport as ReplayReport
    from .intercept import Interceptor as Interceptor
    from .mock import PyrusMock as PyrusMock
    from .model import Approval as Approval
    from .model import Catalog as Catalog
    from .model import CatalogItem as CatalogItem
    from .model import Choice as Choice
    from .model import Comment as Comment
    from .model import FieldDef as FieldDef
    from .model import FileRecord as FileRecord
    from .model import Form as Form
    from .model import FormStep as FormStep
    from .model import Person as Person
    from .model import Rights as Rights
    from .model import Subscriber as Subscriber
    from .model import TableRow as TableRow
    from .model import Task as Task
    from .model import TaskList as TaskList
    from .model_extra import Announcement as Announcement
    from .model_extra import AnnouncementComment as AnnouncementComment
    from .model_extra import CallIntegration as CallIntegration
    from .model_extra import KbEntity as KbEntity
    from .orgchart import Department as Department
    from .server import TLSServer as TLSServer
    from .settings import Settings as Settings
    from .tls import CertificateAuthority as CertificateAuthority
    from .tls import IssuedCert as IssuedCert

_WHERE = {
    "Announcement": ".model_extra",
    "AnnouncementComment": ".model_extra",
    "Approval": ".model",
    "Attempt": ".delivery",
    "Bot": ".bots",
    "BotLimitReached": ".errors",
    "BotUrlError": ".errors",
    "CallIntegration": ".model_extra",
    "Catalog": ".model",
    "CatalogItem": ".model",
    "CertificateAuthority": ".tls",
    "CheckResult": ".conformance",
    "Choice": ".model",
    "Clock": ".clock",
    "Comment": ".model",
    "CommentRejected": ".errors",
    "ConformanceReport": ".conformance",
    "Delivery": ".delivery",
    "Department": ".orgchart",
    "FieldDef": ".model",
    "FileRecord": ".model",
    "Form": ".model",
    "FormStep": ".model",
    "Imported": ".importing.records",
    "ImportRefused": ".importing.records",
    "Interceptor": ".intercept",
    "ReplayReport": ".importing.replay",
    "InvalidArgument": ".errors",
    "IssuedCert": ".tls",
    "KbEntity": ".model_extra",
    "Person": ".model",
    "PyrusMock": ".mock",
    "PyrusMockError": ".errors",
    "RealClock": ".clock",
    "Rights": ".model",
    "Scheduled": ".clock",
    "ServerThreadError": ".errors",
    "Settings": ".settings",
    "TLSServer": ".server",
    "StrictModeError": ".errors",
    "Subscriber": ".model",
    "TableRow": ".model",
    "Task": ".model",
    "TaskList": ".model",
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
