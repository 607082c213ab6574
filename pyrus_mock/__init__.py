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
    from .delivery.dispatch import Attempt as Attempt
    from .delivery.dispatch import Delivery as Delivery
    from .domain.clock import Clock as Clock
    from .domain.clock import RealClock as RealClock
    from .domain.clock import Scheduled as Scheduled
    from .domain.clock import VirtualClock as VirtualClock
    from .domain.errors import BotLimitReached as BotLimitReached
    from .domain.errors import BotUrlError as BotUrlError
    from .domain.errors import CommentRejected as CommentRejected
    from .domain.errors import InvalidArgument as InvalidArgument
    from .domain.errors import PyrusMockError as PyrusMockError
    from .domain.errors import ServerThreadError as ServerThreadError
    from .domain.errors import StrictModeError as StrictModeError
    from .domain.errors import UnknownEntity as UnknownEntity
    from .domain.model import Approval as Approval
    from .domain.model import Catalog as Catalog
    from .domain.model import CatalogItem as CatalogItem
    from .domain.model import Choice as Choice
    from .domain.model import Comment as Comment
    from .domain.model import FieldDef as FieldDef
    from .domain.model import FileRecord as FileRecord
    from .domain.model import Form as Form
    from .domain.model import FormStep as FormStep
    from .domain.model import Person as Person
    from .domain.model import Rights as Rights
    from .domain.model import Subscriber as Subscriber
    from .domain.model import TableRow as TableRow
    from .domain.model import Task as Task
    from .domain.model import TaskList as TaskList
    from .domain.model_extra import Announcement as Announcement
    from .domain.model_extra import AnnouncementComment as AnnouncementComment
    from .domain.model_extra import CallIntegration as CallIntegration
    from .domain.model_extra import KbEntity as KbEntity
    from .domain.orgchart import Department as Department
    from .domain.settings import Settings as Settings
    from .domain.violations import Violation as Violation
    from .importing import ImportRefused as ImportRefused
    from .importing.records import Imported as Imported
    from .importing.replay import ReplayReport as ReplayReport
    from .mock.bots import Bot as Bot
    from .mock.conformance_report import CheckResult as CheckResult
    from .mock.conformance_report import ConformanceReport as ConformanceReport
    from .mock.fake import PyrusMock as PyrusMock
    from .transport.intercept import Interceptor as Interceptor
    from .transport.server import TLSServer as TLSServer
    from .transport.tls import CertificateAuthority as CertificateAuthority
    from .transport.tls import IssuedCert as IssuedCert

_WHERE = {
    "Announcement": ".domain.model_extra",
    "AnnouncementComment": ".domain.model_extra",
    "Approval": ".domain.model",
    "Attempt": ".delivery.dispatch",
    "Bot": ".mock.bots",
    "BotLimitReached": ".domain.errors",
    "BotUrlError": ".domain.errors",
    "CallIntegration": ".domain.model_extra",
    "Catalog": ".domain.model",
    "CatalogItem": ".domain.model",
    "CertificateAuthority": ".transport.tls",
    "CheckResult": ".mock.conformance_report",
    "Choice": ".domain.model",
    "Clock": ".domain.clock",
    "Comment": ".domain.model",
    "CommentRejected": ".domain.errors",
    "ConformanceReport": ".mock.conformance_report",
    "Delivery": ".delivery.dispatch",
    "Department": ".domain.orgchart",
    "FieldDef": ".domain.model",
    "FileRecord": ".domain.model",
    "Form": ".domain.model",
    "FormStep": ".domain.model",
    "Imported": ".importing.records",
    "ImportRefused": ".importing.records",
    "Interceptor": ".transport.intercept",
    "ReplayReport": ".importing.replay",
    "InvalidArgument": ".domain.errors",
    "IssuedCert": ".transport.tls",
    "KbEntity": ".domain.model_extra",
    "Person": ".domain.model",
    "PyrusMock": ".mock.fake",
    "PyrusMockError": ".domain.errors",
    "RealClock": ".domain.clock",
    "Rights": ".domain.model",
    "Scheduled": ".domain.clock",
    "ServerThreadError": ".domain.errors",
    "Settings": ".domain.settings",
    "TLSServer": ".transport.server",
    "StrictModeError": ".domain.errors",
    "Subscriber": ".domain.model",
    "TableRow": ".domain.model",
    "Task": ".domain.model",
    "TaskList": ".domain.model",
    "UnknownEntity": ".domain.errors",
    "Violation": ".domain.violations",
    "VirtualClock": ".domain.clock",
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
