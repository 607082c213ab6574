"""``pyrus-mock replay``: replay a recorded directory against a bot, with a fake behind it
(:mod:`pyrus_mock.importing.replay` does the work)."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

from ..importing.replay import replay
from ..mock.fake import PyrusMock

__all__ = ["run_replay"]


def run_replay(
    directory: str,
    *,
    to: str,
    security_key: str | None,
    ca_file: str | None = None,
    api_port: int = 0,
    state_dir: str | None = None,
    timeout: float = 60.0,
    out: Any,
    err: Any,
) -> int:
    """``pyrus-mock replay``: 0 when every reply matched, 1 when one differed, 2 on bad input."""
    from ..importing.records import ImportRefused

    if not security_key:
        print(
            "pyrus-mock replay: error: --security-key is required (or set PYRUS_SECURITY_KEY)",
            file=err,
        )
        return 2
    try:
        trust = ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        print(f"pyrus-mock replay: error: --ca-file {ca_file}: {exc}", file=err)
        return 2
    with PyrusMock() as mock:
        mock.stop()
        try:
            mock.start(port=api_port)
        except OSError as exc:
            print(f"pyrus-mock replay: cannot serve the API on port {api_port}: {exc}", file=err)
            return 1
        if state_dir is not None:
            from .serve import _write_state

            Path(state_dir).mkdir(parents=True, exist_ok=True)
            _write_state(mock, "127.0.0.1", Path(state_dir).resolve())
        print(
            f"pyrus-mock replay: the fake's API is {mock.api_url} (CA {mock.ca_path})",
            file=out,
            flush=True,
        )
        try:
            report = replay(
                mock,
                directory,
                to=to,
                security_key=security_key,
                ssl_context=trust,
                timeout=timeout,
            )
        except ImportRefused as exc:
            print(f"pyrus-mock replay: error: {exc}", file=err)
            return 2
        print(report.summary(), file=out, flush=True)
        return 0 if report.all_matched else 1
