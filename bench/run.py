"""Benchmark: each engine's generated pipeline against a hand-written script.

For every engine the template offers, render a project (Parquet destination),
run its pipeline on a synthetic orders CSV, run a plain hand-written script for
the same engine that does the same job (read, drop invalid, de-duplicate, derive
a column, aggregate by category and day, write detail and aggregate to zstd
Parquet), and print wall time, rows/s and peak RSS of both and their ratios,
all measured in the same run.

    uv run --group bench python bench/run.py                 # 10M rows, every engine
    uv run --group bench python bench/run.py --rows 1000000 --engines polars,duckdb
    uv run --group bench python bench/run.py --memory-cap 1G --rows 40000000 --engines duckdb

The DuckDB pipeline and the DuckDB script run with the same memory limit
(``--duckdb-memory-limit``, by default the generated project's default), and
both Spark runs with a 2g driver heap (the generated project's default; the
script sets it), so the ratio measures what the project's structure costs, not
a different setting.
Wall time depends on what else the machine runs; CPU seconds (user + system of
the whole process tree) much less, so both are printed.
``--memory-cap`` runs the generated pipelines inside a memory cgroup with that
hard limit (cgroup v1 or v2, needs root), the way ``systemd-run -p MemoryMax``
would.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import psutil
import yaml
from copier import run_copy

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parent.parent
BASELINES = Path(__file__).resolve().parent / "baselines"
CATEGORIES = [f"cat_{i:02d}" for i in range(20)]


@dataclass(frozen=True)
class Measure:
    """One timed command."""

    seconds: float
    cpu_seconds: float
    peak_rss: int
    returncode: int


def generate_csv(path: Path, rows: int) -> None:
    """Write the synthetic orders CSV (about 60 bytes a row).

    About 1 % of the ids repeat the previous id with a later timestamp, 0.5 % of
    the prices are empty or malformed, customers have 100k distinct values and
    categories 20.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.csv")
    duckdb.sql(f"""
        COPY (
          SELECT CASE WHEN i % 100 = 0 THEN i - 1 ELSE i END AS order_id,
                 'C' || lpad(CAST(hash(i) % 100000 AS VARCHAR), 6, '0') AS customer_id,
                 strftime(TIMESTAMP '2024-03-01' + to_seconds(i % 2592000),
                          '%Y-%m-%dT%H:%M:%S') AS order_ts,
                 'cat_' || lpad(CAST(i % 20 AS VARCHAR), 2, '0') AS category,
                 1 + hash(i * 7) % 10 AS quantity,
                 CASE i % 400 WHEN 0 THEN '' WHEN 1 THEN 'n/a'
                      ELSE CAST(round(1 + (hash(i * 13) % 50000) / 100.0, 2) AS VARCHAR)
                 END AS unit_price,
                 ['US', 'FR', 'DE', 'IT', 'ES'][1 + i % 5] AS country
          FROM range(1, {rows} + 1) AS t(i)
        ) TO '{tmp}' (HEADER, DELIMITER ',')
    """)
    tmp.replace(path)


def offered_engines() -> list[str]:
    """The engine choices of copier.yml."""
    questions = yaml.safe_load((ROOT / "copier.yml").read_text(encoding="utf-8"))
    return list(questions["engine"]["choices"].values())


def render(engine: str, dest: Path) -> Path:
    """Render a project for ``engine`` (Parquet destination) and install it."""
    if dest.exists():
        shutil.rmtree(dest)
    source = dest.parent / f"template-{engine}"
    if source.exists():
        shutil.rmtree(source)
    source.mkdir(parents=True)
    for part in ("copier.yml", "template", "extensions"):
        target = source / part
        if (ROOT / part).is_dir():
            shutil.copytree(ROOT / part, target)
        else:
            shutil.copy2(ROOT / part, target)
    run_copy(
        str(source),
        str(dest),
        data={"engine": engine, "destinations": ["parquet"], "project_name": "Bench Pipeline"},
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(["uv", "sync", "--no-dev", "--quiet"], cwd=dest, env=env, check=True)
    return dest


def write_config(project: Path, csv: Path, output: Path) -> Path:
    """Point the project's own config at the synthetic CSV and a fresh output folder."""
    config = yaml.safe_load((project / "config" / "pipeline.yml").read_text(encoding="utf-8"))
    config["output_dir"] = str(output)
    dataset = config["datasets"][0]
    dataset["source"]["path"] = str(csv)
    dataset["schema"]["category"]["allowed"] = CATEGORIES
    config["destinations"]["parquet"]["path"] = str(output / "parquet")
    path = project / "config" / "bench.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@contextlib.contextmanager
def memory_cgroup(limit: str | None) -> Iterator[Path | None]:
    """A memory cgroup with a hard limit, or None when no limit is asked."""
    if limit is None:
        yield None
        return
    size = int(float(limit[:-1]) * 1024 ** "KMG".index(limit[-1].upper()) * 1024)
    v2 = Path("/sys/fs/cgroup/cgroup.controllers").exists()
    base = Path("/sys/fs/cgroup") if v2 else Path("/sys/fs/cgroup/memory")
    group = base / f"datamax-bench-{os.getpid()}"
    group.mkdir()
    try:
        (group / ("memory.max" if v2 else "memory.limit_in_bytes")).write_text(str(size))
        yield group
    finally:
        with contextlib.suppress(OSError):
            group.rmdir()


def children_cpu() -> float:
    """CPU seconds (user + system) of the waited-for child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(
    cmd: list[str], cwd: Path, cgroup: Path | None = None, env: dict[str, str] | None = None
) -> Measure:
    """Run ``cmd``; return its wall time, CPU time and the peak RSS of its process tree."""
    if cgroup is not None:  # the shell joins the group, then becomes the command
        join = f'echo $$ > "{cgroup / "cgroup.procs"}" && exec "$@"'
        cmd = ["sh", "-c", join, "sh", *cmd]
    cpu_before = children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    done = threading.Event()

    cpu_seen: dict[int, float] = {}  # last CPU seconds of each process of the tree

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(proc.pid)
        while not done.is_set():
            with contextlib.suppress(psutil.Error):
                tree = [root, *root.children(recursive=True)]
                total = 0
                for item in tree:
                    with contextlib.suppress(psutil.Error):
                        total += item.memory_info().rss
                        times = item.cpu_times()
                        cpu_seen[item.pid] = times.user + times.system
                peak = max(peak, total)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if proc.returncode:
        tail = stderr.decode(errors="replace").strip().splitlines()[-5:]
        print(f"  ! {' '.join(cmd[:3])} exited {proc.returncode}: {' | '.join(tail)}")
    # Waited-for children are counted exactly; a process the tree does not wait
    # for (Spark's JVM) only as last sampled.
    cpu = max(children_cpu() - cpu_before, sum(cpu_seen.values()))
    return Measure(seconds, cpu, peak, proc.returncode)


def fresh(path: Path) -> Path:
    """An empty folder at ``path``."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def main() -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--engines", default=",".join(offered_engines()))
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work")
    parser.add_argument("--memory-cap", help="hard memory limit for the pipelines, e.g. 1G")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--duckdb-memory-limit",
        default="350MB",
        help="memory limit of both DuckDB runs (default: the generated project's default)",
    )
    args = parser.parse_args()

    work: Path = args.work.resolve()
    csv = work / f"orders-{args.rows}.csv"
    if not csv.exists():
        print(f"generating {csv} ({args.rows:,} rows)")
        generate_csv(csv, args.rows)
    size_mb = csv.stat().st_size / 1e6
    print(f"input: {csv} ({args.rows:,} rows, {size_mb:,.0f} MB); {os.cpu_count()} cores")
    with csv.open("rb") as handle:  # warm the page cache so the first engine is not penalised
        while handle.read(1 << 24):
            pass

    results = [
        bench_engine(
            engine,
            csv,
            work,
            args.memory_cap,
            baseline=not args.skip_baseline,
            duckdb_memory_limit=args.duckdb_memory_limit,
        )
        for engine in args.engines.split(",")
    ]
    print()
    cap = f", memory cap {args.memory_cap}" if args.memory_cap else ""
    limit = f", DuckDB memory limit {args.duckdb_memory_limit}" if "duckdb" in args.engines else ""
    print(f"{args.rows:,} rows ({size_mb:,.0f} MB CSV), {os.cpu_count()} cores{cap}{limit}")
    return print_table(results, args.rows)


def bench_engine(  # noqa: PLR0913 - the benchmark's options, passed through
    engine: str,
    csv: Path,
    work: Path,
    memory_cap: str | None,
    *,
    baseline: bool,
    duckdb_memory_limit: str,
) -> tuple[str, Measure, Measure | None]:
    """Measure one engine's hand-written script and generated pipeline."""
    print(f"[{engine}] rendering and installing")
    project = render(engine, work / "projects" / engine)
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    config = write_config(project, csv, work / "out" / engine / "pipeline")
    script_args: list[str] = []
    env = dict(os.environ)
    if engine == "duckdb":  # the same engine settings for both runs
        script_args = [duckdb_memory_limit]
        env[f"{answers['env_prefix']}DUCKDB_MEMORY_LIMIT"] = duckdb_memory_limit
    script = None
    if baseline:
        out = fresh(work / "out" / engine / "baseline")
        print(f"[{engine}] hand-written script")
        job = BASELINES / f"{engine}_job.py"
        python = project / ".venv" / "bin" / "python"
        script = measure([str(python), str(job), str(csv), str(out), *script_args], project)
    fresh(work / "out" / engine / "pipeline")
    print(f"[{engine}] generated pipeline")
    executable = project / ".venv" / "bin" / answers["package_name"]
    command = [str(executable), "run", "--config", str(config)]
    with memory_cgroup(memory_cap) as group:
        generated = measure(command, project, group, env)
    return engine, generated, script


def print_table(results: list[tuple[str, Measure, Measure | None]], rows: int) -> int:
    """Print one line per engine; return 1 when a generated pipeline failed."""
    header = f"{'engine':<8} {'pipeline s':>10} {'cpu s':>6} {'rows/s':>11} {'peak MB':>8} "
    header += f"{'script s':>9} {'cpu s':>6} {'peak MB':>8} "
    header += f"{'time ratio':>10} {'cpu ratio':>9} {'mem ratio':>9}  status"
    print(header)
    failed = False
    for engine, gen, base in results:
        line = f"{engine:<8} {gen.seconds:>10.1f} {gen.cpu_seconds:>6.1f} "
        line += f"{rows / gen.seconds:>11,.0f} {gen.peak_rss / 1e6:>8,.0f} "
        if base is not None:
            memory_ratio = gen.peak_rss / max(base.peak_rss, 1)
            cpu_ratio = gen.cpu_seconds / max(base.cpu_seconds, 1e-9)
            line += f"{base.seconds:>9.1f} {base.cpu_seconds:>6.1f} {base.peak_rss / 1e6:>8,.0f} "
            line += f"{gen.seconds / base.seconds:>10.2f} {cpu_ratio:>9.2f} {memory_ratio:>9.2f}"
        else:
            line += f"{'-':>9} {'-':>6} {'-':>8} {'-':>10} {'-':>9} {'-':>9}"
        status = "ok" if gen.returncode == 0 else f"FAILED ({gen.returncode})"
        failed |= gen.returncode != 0
        print(f"{line}  {status}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
