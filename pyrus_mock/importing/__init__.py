"""Bringing real Pyrus data into the fake: import, record, replay.

* :func:`import_json` / :func:`import_dir` (``PyrusMock.import_form``, ``POST /_mock/import``,
  ``pyrus-mock serve --import DIR``): JSON saved from real Pyrus becomes the same forms,
  catalogs and tasks in the fake (:mod:`pyrus_mock.importing.records`,
  :mod:`pyrus_mock.importing.tasks`).
* ``pyrus-mock record`` (:mod:`pyrus_mock.importing.record`): a TLS reverse proxy between Pyrus
  and a bot in staging, saving each call with its secrets redacted.
* ``pyrus-mock replay`` and ``PyrusMock.replay`` (:mod:`pyrus_mock.importing.replay`): the
  recorded calls, re-signed, sent to a bot again, the replies compared with the recorded ones.
"""

from __future__ import annotations

from .records import Imported, ImportRefused, import_dir, import_json

__all__ = ["ImportRefused", "Imported", "import_dir", "import_json"]
