"""Running Locust for ``pyrus-mock load``: one process, or a master and its workers.

Locust always runs in child processes (``python -m locust -f pyrus_mock/cli/load/locustfile.py``),
so its gevent patching never reaches the caller. Their output goes to log files; on a problem
the tail of each log is printed. Every wait is bounded: the run's duration plus the stop
timeout plus the time allowed for workers to connect and for Locust to start.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from .report import LoadReport

__all__ = ["LOCUSTFILE", "LoadOptions", "collect", "run_load"]

LOCUSTFILE = str(Path(__file__).with_name("locustfile.py"))
"""The Locust file of the user class (``locust -f LOCUSTFILE`` in a Locust setup of your own)."""

_STARTUP = 60.0
"""Seconds Locust may take to start (import gevent, connect) beyond the run itself."""

Mode = Literal["local", "master", "worker"]


@dataclass(frozen=True)
class LoadOptions:
    """What ``pyrus-mock load`` was asked for (see ``pyrus-mock load --help``)."""

    url: str
    security_key: str
    users: int = 10
    rate: float = 0.0
    duration: float = 10.0
    ca: str | None = None
    timeout: float = 60.0
    retry_delays: tuple[float, ...] = (61.0, 122.0)
    workers: int = 0
    mode: Mode = "local"
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    worker_wait: float = 60.0
    tasks: int = 50
    seed: int = 0


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _environment(options: LoadOptions) -> dict[str, str]:
    env = dict(os.environ)
    env["PYRUS_SECURITY_KEY"] = options.security_key
    if options.ca:
        env["PYRUS_LOAD_CA"] = os.path.abspath(options.ca)
    else:
        env.pop("PYRUS_LOAD_CA", None)
    # The package must be importable by the children as it is here (an editable checkout too).
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _base(options: LoadOptions) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--host", options.url,
            "--loglevel", "WARNING", "--skip-log-setup"]  # fmt: skip


def _run_options(options: LoadOptions, report: Path) -> list[str]:
    rate_per_user = options.rate / options.users if options.rate > 0 else 0.0
    return [
        "--headless", "--only-summary", "-u", str(options.users),
        "-r", str(max(options.users, 1)), "-t", f"{max(1, round(options.duration))}s",
        "--stop-timeout", f"{options.timeout:g}", "--exit-code-on-error", "0",
        "--pyrus-rate-per-user", f"{rate_per_user:g}", *_pool_options(options),
        "--pyrus-report", str(report),
    ]  # fmt: skip


def _pool_options(options: LoadOptions) -> list[str]:
    """What each process needs to build its fake before the run (workers get it from their
    own command line: the master's options only reach them when the run starts)."""
    return [
        "--pyrus-timeout", f"{options.timeout:g}",
        "--pyrus-retry-delays", ",".join(f"{d:g}" for d in options.retry_delays),
        "--pyrus-tasks", str(options.tasks), "--pyrus-seed", str(options.seed),
    ]  # fmt: skip


def _worker(options: LoadOptions, host: str, port: int) -> list[str]:
    return [*_base(options), *_pool_options(options), "--worker", "--master-host", host,
            "--master-port", str(port)]  # fmt: skip


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in text[-lines:])


def run_load(options: LoadOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the load described by ``options``; print the report; return the exit status.

    Returns:
        0 when calls were made and none failed, 1 otherwise (failures, or Locust did not run).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if options.mode == "worker":
        return _only_worker(options, _environment(options), out, err)
    report = collect(options, out, err)
    if report is None:
        return 1
    print(str(report), file=out, flush=True)
    return 0 if report.passed else 1


def collect(options: LoadOptions, out: TextIO | None = None,
            err: TextIO | None = None) -> LoadReport | None:  # fmt: skip
    """Run the load (``local`` or ``master`` mode) and return its report.

    Returns:
        The report, or None when Locust ended without one (the logs' tails go to ``err``).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    env = _environment(options)
    with tempfile.TemporaryDirectory(prefix="pyrus-mock-load-") as tmp:
        logs = Path(tmp)
        report_file = logs / "report.json"
        command = [*_base(options), *_run_options(options, report_file)]
        workers: list[tuple[subprocess.Popen[bytes], Path]] = []
        expected = options.workers
        if options.mode == "master" or options.workers:
            host = options.master_host if options.mode == "master" else "127.0.0.1"
            port = options.master_port if options.mode == "master" else _free_port(host)
            command += ["--master", "--master-bind-host", host, "--master-bind-port", str(port),
                        "--expect-workers", str(expected),
                        "--expect-workers-max-wait", f"{options.worker_wait:g}"]  # fmt: skip
        budget = options.duration + options.timeout + _STARTUP
        if options.mode == "master":
            budget += options.worker_wait
            print(f"pyrus-mock load: Locust master on {host}:{port}, waiting up to "
                  f"{options.worker_wait:g} s for {expected} workers: on each worker machine run "
                  f"'pyrus-mock load {options.url} --worker --master-host HOST --master-port "
                  f"{port} --security-key KEY [--ca PEM]'", file=out, flush=True)  # fmt: skip
        master_log = logs / "master.log"
        with open(master_log, "wb") as log:
            master = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            if options.mode == "local" and options.workers:
                for index in range(options.workers):
                    path = logs / f"worker-{index + 1}.log"
                    with open(path, "wb") as log:
                        proc = subprocess.Popen(_worker(options, host, port), env=env,
                                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
                    workers.append((proc, path))
            try:
                status = master.wait(timeout=budget)
            except subprocess.TimeoutExpired:
                print(f"pyrus-mock load: Locust did not finish within {budget:g} s; stopped it",
                      file=err, flush=True)  # fmt: skip
                status = None
            for proc, _ in workers:  # the master tells them to quit; bounded anyway
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=_STARTUP)
        finally:
            for proc in [master, *(p for p, _ in workers)]:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        if status is None or not report_file.exists():
            print(f"pyrus-mock load: Locust ended without a report (exit status {status}); "
                  "its output:", file=err, flush=True)  # fmt: skip
            for path in [master_log, *(p for _, p in workers)]:
                print(f"  {path.name}:\n{_tail(path)}", file=err, flush=True)
            return None
        data = json.loads(report_file.read_text(encoding="utf-8"))
    return LoadReport(options.url, options.users, options.rate, data.get("workers", 0), data)


def _only_worker(options: LoadOptions, env: dict[str, str], out: TextIO, err: TextIO) -> int:
    """A worker for a master on another machine: runs until the master stops it."""
    print(f"pyrus-mock load: Locust worker for the master at {options.master_host}:"
          f"{options.master_port}", file=out, flush=True)  # fmt: skip
    command: Sequence[str] = _worker(options, options.master_host, options.master_port)
    completed = subprocess.run(command, env=env, check=False)
    if completed.returncode not in (0, None):
        print(f"pyrus-mock load: the worker ended with exit status {completed.returncode}",
              file=err, flush=True)  # fmt: skip
        return 1
    return 0
