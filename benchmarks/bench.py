"""judgekit's client overhead, measured against a plain openai-SDK loop (the floor).

Run with `make bench` (or `python benchmarks/bench.py --help` for the knobs). It starts its own
OpenAI-compatible server in a separate process that answers every call after a fixed latency,
then for each item count N and concurrency C runs, one after the other on the same server:

- floor: a plain asyncio loop over `AsyncOpenAI` with a semaphore of C, sending the very
  messages judgekit renders (no parsing, no files, no cache);
- judgekit: `judgekit eval` as a user runs it (`--no-cache`, fixed positions, a fresh run dir).

Wall time is measured by the server, from the first request's arrival to the last response,
so start-up and report writing are not counted for either side; it is reported as a ratio to
the ideal ceil(N/C) x latency and to the floor. Client CPU (user + system of the client
process, start-up included) is reported per judgment, with peak RSS. Then a fully cached
re-run of a larger set (`--cached-items`, default 10,000) is timed end to end, and start-up of
`judgekit --help` and `judgekit eval --help` (median of repeated runs).

Results are printed as a table and written to bench-results/latest.json. Benchmarks are not
tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VERDICT = "Both answers address the request; the first is more complete.\n[[A]]"


# -- the latency server (its own process, so its CPU is not the client's) ------------------
def _serve(conn: Any, latency: float) -> None:
    from judgekit.testing.server import FakeProvider

    stamps: list[float] = []

    def responder(request: Any) -> str:
        stamps.append(time.monotonic())
        return VERDICT

    with FakeProvider(responder, latency=latency) as server:
        conn.send(server.openai_url)
        while True:
            command = conn.recv()
            if command == "reset":
                stamps.clear()
                server.reset_records()
                conn.send(True)
            elif command == "stats":
                # Arrival of the first request = its answer time minus the simulated latency.
                conn.send((min(stamps) - latency, max(stamps), len(stamps)) if stamps else None)
            else:
                conn.send(True)
                return


class LatencyServer:
    def __init__(self, latency: float) -> None:
        self.latency = latency
        parent, child = multiprocessing.Pipe()
        self._conn = parent
        self._process = multiprocessing.get_context("spawn").Process(target=_serve, args=(child, latency), daemon=True)
        self._process.start()
        self.url: str = parent.recv()

    def ask(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self._process.join(timeout=5)


# -- data -----------------------------------------------------------------------------------
def write_dataset(path: Path, n: int) -> None:
    filler = "This sentence pads the answer to a realistic length for a judge prompt. "
    with path.open("w") as handle:
        for index in range(n):
            handle.write(
                json.dumps(
                    {
                        "id": f"b{index}",
                        "question": f"Question number {index}: explain the idea behind item {index} briefly.",
                        "answer_a": f"Answer A to {index}. " + filler * 4,
                        "answer_b": f"Answer B to {index}. " + filler * 3,
                    }
                )
                + "\n"
            )


def rendered_requests(dataset: Path) -> list[list[dict[str, str]]]:
    """The messages judgekit sends for each item (fixed positions), for the floor to send too."""
    from judgekit.inputs.datasets import Dataset
    from judgekit.inputs.template_files import load
    from judgekit.inputs.template_inputs import item_variables

    template = load("pairwise/verdict")
    return [
        [message.model_dump() for message in template.render(item_variables(item, template))]
        for item in Dataset(dataset)
    ]


FLOOR = r"""
import asyncio, json, sys, time, resource
from openai import AsyncOpenAI

async def main(path, url, concurrency):
    requests = [json.loads(line) for line in open(path)]
    client = AsyncOpenAI(base_url=url, api_key="bench", max_retries=0, timeout=60)
    gate = asyncio.Semaphore(concurrency)
    async def one(messages):
        async with gate:
            response = await client.chat.completions.create(model="bench", messages=messages, temperature=0, max_tokens=1024)
            return response.choices[0].message.content
    answers = await asyncio.gather(*(one(messages) for messages in requests))
    assert len(answers) == len(requests)
    await client.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float, str]:
    """Run a child process and read its own resource usage (CPU user+sys, peak RSS)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait4 returns the child's own rusage; communicate() would reap it first, so read pipes by hand.
    stdout_chunks: list[bytes] = []
    assert process.stdout is not None and process.stderr is not None
    import threading

    stderr_chunks: list[bytes] = []
    drain = threading.Thread(target=lambda: stderr_chunks.append(process.stderr.read()))  # type: ignore[union-attr]
    drain.start()
    stdout_chunks.append(process.stdout.read())
    _, status, usage = os.wait4(process.pid, 0)
    drain.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if process.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:5])} failed ({process.returncode}): {b''.join(stderr_chunks).decode()[-2000:]}"
        )
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, usage.ru_maxrss / 1024, b"".join(stdout_chunks).decode()


def judgekit_command() -> list[str]:
    return [sys.executable, "-m", "judgekit"]


def bench_pair(server: LatencyServer, n: int, concurrency: int, work: Path, env: dict[str, str]) -> dict[str, Any]:
    dataset = work / f"items-{n}.jsonl"
    if not dataset.exists():
        write_dataset(dataset, n)
        (work / f"messages-{n}.jsonl").write_text("".join(json.dumps(m) + "\n" for m in rendered_requests(dataset)))
    ideal = math.ceil(n / concurrency) * server.latency
    result: dict[str, Any] = {"items": n, "concurrency": concurrency, "ideal_s": ideal}
    floor_script = work / "floor.py"
    floor_script.write_text(FLOOR)
    server.ask("reset")
    _, cpu, rss, _ = measured(
        [sys.executable, str(floor_script), str(work / f"messages-{n}.jsonl"), server.url, str(concurrency)], env
    )
    first, last, count = server.ask("stats")
    result["floor"] = {
        "wall_s": last - first,
        "cpu_ms_per_judgment": 1000 * cpu / n,
        "peak_rss_mb": rss,
        "requests": count,
    }
    server.ask("reset")
    out = work / f"run-{n}-{concurrency}"
    command = [
        *judgekit_command(),
        "eval", str(dataset), "--judge", "openai/bench", "--positions", "fixed", "--concurrency", str(concurrency),
        "--no-cache", "--out", str(out), "--fresh", "--quiet", "--format", "json",
    ]  # fmt: skip
    _, cpu, rss, _ = measured(command, {**env, "OPENAI_BASE_URL": server.url})
    first, last, count = server.ask("stats")
    result["judgekit"] = {
        "wall_s": last - first,
        "cpu_ms_per_judgment": 1000 * cpu / n,
        "peak_rss_mb": rss,
        "requests": count,
    }
    for side in ("floor", "judgekit"):
        result[side]["vs_ideal"] = result[side]["wall_s"] / ideal
    result["wall_vs_floor"] = result["judgekit"]["wall_s"] / result["floor"]["wall_s"]
    result["cpu_vs_floor"] = result["judgekit"]["cpu_ms_per_judgment"] / result["floor"]["cpu_ms_per_judgment"]
    return result


def bench_cached(server: LatencyServer, n: int, work: Path, env: dict[str, str]) -> dict[str, Any]:
    dataset = work / f"cached-{n}.jsonl"
    write_dataset(dataset, n)
    cache = work / "cache"
    base = [
        *judgekit_command(),
        "eval",
        str(dataset),
        "--judge",
        "openai/bench",
        "--positions",
        "fixed",
        "--concurrency",
        "64",
        "--quiet",
        "--format",
        "json",
    ]
    run_env = {**env, "OPENAI_BASE_URL": server.url, "JUDGEKIT_CACHE_DIR": str(cache)}
    measured([*base, "--out", str(work / "fill")], run_env)  # fills the cache
    server.ask("reset")
    wall, cpu, rss, stdout = measured([*base, "--out", str(work / "cached")], run_env)
    summary = json.loads(stdout)
    return {
        "items": n,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": rss,
        "cached_calls": summary["counts"]["cached"],
        "requests_sent": (server.ask("stats") or (0, 0, 0))[2],
    }


def bench_memory(n: int, work: Path, env: dict[str, str]) -> dict[str, Any]:
    """Peak RSS of a run over `n` items with the offline mock judge (no server, no cache): what
    judgekit itself holds, streaming items in and judgments out."""
    dataset = work / f"memory-{n}.jsonl"
    write_dataset(dataset, n)
    command = [
        *judgekit_command(), "eval", str(dataset), "--judge", "mock/first", "--positions", "fixed",
        "--concurrency", "64", "--no-cache", "--out", str(work / "memory"), "--quiet", "--format", "json",
    ]  # fmt: skip
    wall, cpu, rss, _ = measured(command, env)
    return {"items": n, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": rss}


def bench_startup(repeats: int) -> dict[str, float]:
    script = Path(sys.executable).with_name("judgekit")
    results = {}
    for label, args in (("judgekit --help", ["--help"]), ("judgekit eval --help", ["eval", "--help"])):
        times = []
        for _ in range(repeats):
            started = time.monotonic()
            subprocess.run([str(script), *args], check=True, capture_output=True)
            times.append(time.monotonic() - started)
        results[label] = statistics.median(times)
    return results


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def table(results: dict[str, Any]) -> str:
    lines = [
        f"Machine: {results['machine']}; server latency {results['latency_s'] * 1000:.0f} ms.",
        "",
        "| items | concurrency | ideal s | floor s (x ideal) | judgekit s (x ideal) | judgekit / floor wall | CPU ms/judgment floor / judgekit (ratio) | peak RSS MB floor / judgekit |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["runs"]:
        floor, ours = row["floor"], row["judgekit"]
        lines.append(
            f"| {row['items']} | {row['concurrency']} | {row['ideal_s']:.1f} | {floor['wall_s']:.2f} ({floor['vs_ideal']:.2f}x) "
            f"| {ours['wall_s']:.2f} ({ours['vs_ideal']:.2f}x) | {row['wall_vs_floor']:.3f} "
            f"| {floor['cpu_ms_per_judgment']:.2f} / {ours['cpu_ms_per_judgment']:.2f} ({row['cpu_vs_floor']:.2f}x) "
            f"| {floor['peak_rss_mb']:.0f} / {ours['peak_rss_mb']:.0f} |"
        )
    cached = results.get("cached")
    if cached:
        lines += ["", f"Fully cached re-run of {cached['items']:,} items: {cached['wall_s']:.2f} s end to end "
                  f"({cached['cached_calls']:,} cache hits, {cached['requests_sent']} requests sent, peak RSS {cached['peak_rss_mb']:.0f} MB)."]  # fmt: skip
    memory = results.get("memory")
    if memory:
        lines.append(
            f"Peak RSS judging {memory['items']:,} items with the mock judge: {memory['peak_rss_mb']:.0f} MB "
            f"({memory['wall_s']:.0f} s)."
        )
    for label, seconds in results.get("startup", {}).items():
        lines.append(f"`{label}`: {seconds * 1000:.0f} ms (median).")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--latency", type=float, default=0.2, help="server latency per call, seconds")
    parser.add_argument("--cached-items", type=int, default=10_000, help="0 skips the cached re-run")
    parser.add_argument("--startup-repeats", type=int, default=10)
    parser.add_argument("--memory-items", type=int, default=100_000, help="0 skips the memory run")
    parser.add_argument("--quick", action="store_true", help="items 200, concurrency 8 32 64, cached 2000")
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "latest.json")
    args = parser.parse_args()
    if args.quick:
        args.items, args.concurrency, args.cached_items, args.memory_items = [200], [8, 32, 64], 2000, 10_000
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("OPENAI_", "ANTHROPIC_", "JUDGEKIT_"))
    }
    env["OPENAI_API_KEY"] = "bench-key"
    results: dict[str, Any] = {"machine": machine(), "latency_s": args.latency, "runs": []}
    server = LatencyServer(args.latency)
    try:
        with tempfile.TemporaryDirectory() as directory:
            work = Path(directory)
            env["JUDGEKIT_CACHE_DIR"] = str(work / "unused-cache")
            for n in args.items:
                for concurrency in args.concurrency:
                    row = bench_pair(server, n, concurrency, work, env)
                    results["runs"].append(row)
                    print(
                        f"N={n} C={concurrency}: judgekit/floor wall {row['wall_vs_floor']:.3f}, CPU {row['cpu_vs_floor']:.2f}x",
                        file=sys.stderr,
                    )
            if args.cached_items:
                fast = LatencyServer(0.0)
                try:
                    results["cached"] = bench_cached(fast, args.cached_items, work, env)
                finally:
                    fast.stop()
            if args.memory_items:
                results["memory"] = bench_memory(args.memory_items, work, env)
    finally:
        server.stop()
    results["startup"] = bench_startup(args.startup_repeats)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"\n(written to {args.output})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
