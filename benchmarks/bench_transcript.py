"""Failure reports: a transcript stays small and quick however large the bots' replies.

A bot answers each of 20 deliveries with a 1 MB JSON reply (its token first, then a megabyte of
text, which the fake refuses as ``max_text_length_exceeded``). Figures: the seconds
``mock.transcript()`` takes (what the pytest plugin shows for a failed test), median of
repeated builds; and its size in bytes (the same text every build). Baseline: parsing the 20
replies once with ``json.loads``, the work a transcript that showed replies whole would start
with. Targets: built in < 100 ms, smaller than 200 KB.

Run: ``python benchmarks/bench_transcript.py`` (``--short`` for CI).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from _common import Bench, Row, median, time_each

from pyrus_mock import PyrusMock

MB = 1024 * 1024
DELIVERIES = 20


def big_bot(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers a delivery with ``{"access_token": <its token>, "text": <1 MB>}``."""
    payload = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    reply = json.dumps({"access_token": payload["access_token"], "text": "x" * MB}).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(reply)))]
    )
    return [reply]


def main() -> int:
    bench = Bench("Transcript of large replies", __doc__)
    builds = bench.count(30, short=3)
    with PyrusMock(auto_deliver=False) as mock, mock.serve_bot(big_bot) as url:
        bot = mock.add_bot("Verbose", url)
        task = mock.add_task(text="t")
        for _ in range(DELIVERIES):
            mock.deliver(task, bot)
        replies = [d.attempts[0].reply_body for d in mock.deliveries]
        assert all(len(r) > MB for r in replies)
        text = mock.transcript()
        ours = median(time_each(mock.transcript, builds, warmup=1))
        baseline = median(time_each(lambda: [json.loads(r) for r in replies], builds, warmup=1))
    size = len(text.encode())
    assert all(d.access_token not in text for d in mock.deliveries)
    bench.add(
        Row(
            f"`transcript()` of {DELIVERIES} deliveries with 1 MB replies",
            ours * 1000,
            baseline * 1000,
            "ms",
            "< 100 ms",
            ours < 0.1,
        )
    )
    bench.add(Row("its size", size / 1000, None, "KB", "< 200 KB", size < 200_000))
    return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
