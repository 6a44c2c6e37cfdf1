"""Run every benchmark and write their figures into docs/benchmarks.md.

    python -m bench.run_all                      # full sizes (long: tens of minutes)
    python -m bench.run_all --size short         # small sizes, a few minutes
    python -m bench.run_all --only sse,boot      # some of them
    python -m bench.run_all --no-write           # print, leave the docs alone

Each benchmark runs in its own process, one after the other (they would skew each other),
and prints its figures with a baseline measured in the same run. The summary table and the
raw output of this run replace the section between the run_all markers at the end of
docs/benchmarks.md; the rest of the page (the current results, each benchmark's method) is
kept, and its figures are updated from this output by hand.
Every benchmark runs on PostgreSQL, BENCH_DATABASE_URL (default: the dd_bench database on this
machine, which some of them empty), and on a MongoDB-protocol server, BENCH_MONGODB_URI (default:
an embedded secantusdb each benchmark starts and stops; bench/stores.py); sse and boot also
take BENCH_REDIS_URL. Not part of CI."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- run_all:start -->", "<!-- run_all:end -->"
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/dd_bench"


@dataclass
class Bench:
    name: str
    script: str
    goal: str
    args: dict[str, list[str]]
    env: dict[str, dict[str, str]] = field(default_factory=dict)

    def command(self, size: str) -> list[str]:
        return [sys.executable, str(ROOT / self.script), *self.args.get(size, [])]


BENCHES = [
    Bench("feed", "bench/feed.py", "signed-in home feed at 35% of the bare route's requests/s, p99 < 100 ms",
          args={},
          env={"short": {"BENCH_USERS": "1000", "BENCH_POSTS": "20000", "BENCH_SECONDS": "5",
                         "BENCH_CONNECTIONS": "20"},
               "full": {}}),
    Bench("ledger", "bench/ledger.py", "300 purchases/s on one hot creator",
          args={"short": ["--buyers", "20", "--per-buyer", "10"], "full": []}),
    Bench("chat", "bench/chat.py",
          "5,000 websockets in one worker, < 100 KB each, p99 < 50 ms at 1,000 messages/s",
          # Full size holds the goal's 5,000 connections at a rate the embedded document server
          # (secantusdb) keeps up with; the goal's 1,000 messages/s needs a MongoDB server:
          # BENCH_MONGODB_URI=mongodb://... (docs/benchmarks.md, "Chat").
          args={"short": ["--connections", "500", "--rate", "50", "--duration", "5", "--idle", "3"],
                "full": ["--connections", "5000", "--rate", "5", "--duration", "10", "--idle", "30"]}),
    Bench("sse", "bench/sse_fanout.py",
          "5,000 idle streams in one worker, < 100 KB each, one event on all of them within 5 s",
          args={"short": ["--streams", "5000", "--users", "50"], "full": ["--streams", "5000", "--users", "500"]}),
    Bench("analytics", "bench/analytics.py", "creator analytics page under 100 ms server time",
          args={},
          env={"short": {"BENCH_VIEWS": "20000", "BENCH_SALES": "2000", "BENCH_OTHERS": "5", "BENCH_RUNS": "15"},
               "full": {}}),
    Bench("boot", "bench/boot.py", "first 200 within 5 s of the process start (Heroku allows 60 s)",
          args={"short": ["--runs", "3"], "full": ["--runs", "7"]}),
    Bench("images", "bench/images.py",
          "16 clients posting 4 decompression-bomb PNGs each: one worker under 512 MB, /healthz within 1 s",
          args={"short": ["--seconds", "8"], "full": []}),
]


# Figures read from each benchmark's output: (figure, baseline of the same run).
def _search(pattern: str, text: str, default: str = "?") -> str:
    match = re.search(pattern, text, re.M)
    return match.group(1) if match else default


def summarize(name: str, out: str) -> tuple[str, str]:
    if name == "feed":
        row = r"^{}\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)"
        feed, bare = re.search(row.format("home feed"), out, re.M), re.search(row.format("bare"), out, re.M)
        ratio = _search(r"feed / bare: (\d+%)", out)
        if not feed or not bare:
            return "?", "?"
        return (f"`/home` {feed[1]} req/s ({ratio} of bare), p50 {feed[2]} ms, p99 {feed[4]} ms",
                f"bare route {bare[1]} req/s, p99 {bare[4]} ms")
    if name == "ledger":
        rate, hot = _search(r"purchases: .* = (\d+)/s", out), _search(r"hot creator: .* = (\d+)/s", out)
        verify, plain = _search(r"ledger verify: (\w+)", out), _search(r"plain inserts .* = (\d+)/s", out)
        return f"{rate} purchases/s, hot creator {hot}/s; ledger verify {verify}", f"plain inserts {plain}/s"
    if name == "chat":
        def cells(label):
            match = re.search(rf"^{label}\s+(\S+)\s+(\S+)", out, re.M)
            return match.groups() if match else ("?", "?")
        held, rate, p50, p99, kb = (cells(x) for x in ("connections held", "messages/s", "p50 latency ms",
                                                        "p99 latency ms", "KB per idle conn"))
        return (f"{held[0]} held, {rate[0]} msg/s, p50 {p50[0]} ms, p99 {p99[0]} ms, {kb[0]} KB/conn",
                f"bare echo: {held[1]} held, p50 {p50[1]} ms, p99 {p99[1]} ms, {kb[1]} KB/conn")
    if name == "sse":
        got, p50, p99 = _search(r"delivered to (\d+ of \d+)", out), _search(r"p50 (\d+) ms", out), \
            _search(r"p99 (\d+) ms", out)
        every, kb = _search(r"all (\d+) ms", out), _search(r"([\d.]+) KB per stream", out)
        alone, idle = _search(r"one stream alone: (\d+) ms", out), _search(r"idle ([\d.]+) MB", out)
        return (f"delivered to {got} streams: p50 {p50} ms, p99 {p99} ms, all {every} ms; {kb} KB per stream",
                f"one stream alone {alone} ms; worker idle {idle} MB")
    if name == "analytics":
        page = re.search(r"page /analytics\?days=30: median ([\d.]+) ms, p95 ([\d.]+) ms", out)
        bare = re.search(r"bare: median ([\d.]+) ms, p95 ([\d.]+) ms", out)
        return (f"30-day page median {page[1]} ms, p95 {page[2]} ms" if page else "?",
                f"bare route median {bare[1]} ms, p95 {bare[2]} ms" if bare else "?")
    if name == "images":
        return _images_summary(out)
    if name == "boot":
        app_s, bare_s = _search(r"first 200 after ([\d.]+s)", out), _search(r"bare Flask ([\d.]+s)", out)
        return f"{app_s} (median)", f"bare Flask under the same gunicorn {bare_s}"
    return "?", "?"


def _images_summary(out: str) -> tuple[str, str]:
    import json

    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        return "?", "?"
    result = json.loads(line[len("RESULT "):])
    figures = []
    for attack in result["attacks"]:
        answered = ", ".join(f"{n} {status}" for status, n in sorted(attack["posts"].items()))
        figures.append(f"{attack['image']}: peak {attack['rss_peak_mb']:.0f} MB, /healthz p99 "
                       f"{attack['healthz_p99_ms']:.0f} ms, max {attack['healthz_max_ms']:.0f} ms ({answered})")
    idle = result["idle"]
    return "; ".join(figures), f"idle worker {idle['rss_peak_mb']:.0f} MB, /healthz p99 {idle['healthz_p99_ms']:.0f} ms"


def run(bench: Bench, size: str, timeout: float) -> tuple[str, str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **bench.env.get(size, {})}
    env.setdefault("BENCH_DATABASE_URL", DEFAULT_DB)
    started = time.monotonic()
    print(f"== {bench.name}: {' '.join(bench.command(size)[1:])}", flush=True)
    try:
        done = subprocess.run(bench.command(size), cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
        out, status = done.stdout, f"exit {done.returncode}"
        if done.returncode != 0:
            out += "\n" + done.stderr[-3000:]
    except subprocess.TimeoutExpired as exc:
        out, status = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or ""), \
            f"timed out after {timeout:.0f}s"
    seconds = time.monotonic() - started
    print(out, flush=True)
    return out, status, seconds


def render(results: list[tuple[Bench, str, str, float]], size: str) -> str:
    load = os.getloadavg()
    lines = [START, "", f"## Latest run of `python -m bench.run_all --size {size}`", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, load average "
             f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end (the machine is shared with other "
             "builds: read the ratios to the baselines, not the absolute figures).", "",
             "| benchmark | sizes | figure | baseline (same run) | goal | status |", "|---|---|---|---|---|---|"]
    for bench, out, status, seconds in results:
        figure, baseline = summarize(bench.name, out)
        sizes = " ".join(bench.args.get(size, [])) or " ".join(
            f"{k}={v}" for k, v in bench.env.get(size, {}).items()) or "script defaults"
        lines.append(f"| {bench.name} | `{sizes}` | {figure} | {baseline} | {bench.goal} | "
                     f"{status}, {seconds:.0f} s |")
    lines += ["", "<details><summary>Output of this run</summary>", ""]
    for bench, out, _status, _seconds in results:
        lines += [f"`{bench.script}`:", "", "```", out.strip(), "```", ""]
    lines += ["</details>", "", END]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        title, _, body = text.partition("\n")
        text = f"{title}\n\n{section}\n{body}"
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("short", "full"), default="full")
    parser.add_argument("--only", default="", help="comma-separated names: " + ",".join(b.name for b in BENCHES))
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed to each benchmark")
    parser.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only.split(",")]
    results = []
    for bench in chosen:
        if not (ROOT / bench.script).exists():
            print(f"== {bench.name}: {bench.script} is missing, skipped")
            continue
        results.append((bench, *run(bench, args.size, args.timeout)))
    section = render(results, args.size)
    if args.no_write:
        print(section)
    else:
        write_doc(section)
        print(f"wrote {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
