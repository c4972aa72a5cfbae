"""Slow tier: the distributed engines run on real clusters started on localhost.

* PySpark: a Spark standalone master and worker (from the pyspark distribution,
  on the machine's Java), and the generated pipeline submitted to it with
  spark-submit.
* Dask: a `dask scheduler` and a `dask worker`, and the generated pipeline
  pointed at the scheduler through its setting.

Both runs must succeed and give the same outputs as a local run of the same
project (compared with tests/resources/dump_outputs.py).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from tests.helpers import choice_values, questions, read_answers, render, run
from tests.test_engines_equal import DUMP_COMMAND, differences
from tests.test_generated_project import project_env

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

ENGINES = {str(value) for value in choice_values(questions()["engine"])}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Wait until something listens on ``port``; fail with the log if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.5)
    pytest.fail(f"nothing listened on port {port} after {timeout} s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def service(
    cmd: list[str], cwd: Path, env: dict[str, str], log: Path, port: int, *, timeout: float = 120
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a long-running process, wait for its port, and stop it afterwards."""
    with log.open("wb") as sink:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process, log, timeout)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def setting(project: Path, suffix: str) -> str:
    """The environment variable of the project whose name ends with ``suffix``."""
    text = (project / ".env.example").read_text(encoding="utf-8")
    for line in text.splitlines():
        name = line.lstrip("# ").split("=", 1)[0]
        if name.endswith(suffix):
            return name
    pytest.fail(f".env.example documents no *{suffix} setting:\n{text}")


def prepared_project(
    engine: str, template_src: Path, tmp: Path, env: dict[str, str]
) -> tuple[Path, dict[str, Any]]:
    """A rendered and installed project for ``engine`` (Parquet destination)."""
    if engine not in ENGINES:
        pytest.skip(f"the template does not offer engine {engine!r}")
    project = render(template_src, tmp / "project", engine=engine, destinations=["parquet"])
    run(["uv", "sync", "--no-dev"], project, env, timeout=1200)
    return project, read_answers(project)


def config_for(project: Path, output: Path) -> Path:
    """A copy of the project's config that writes below ``output``."""
    config = yaml.safe_load((project / "config" / "pipeline.yml").read_text(encoding="utf-8"))
    config["output_dir"] = str(output)
    config["destinations"]["parquet"]["path"] = str(output / "parquet")
    path = project / "config" / f"{output.name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def dump(project: Path, env: dict[str, str], output: Path) -> dict[str, Any]:
    """The outputs under ``output`` as canonical JSON."""
    result: dict[str, Any] = json.loads(run([*DUMP_COMMAND, str(output)], project, env).stdout)
    return result


def local_run(project: Path, package: str, env: dict[str, str]) -> dict[str, Any]:
    """Run the pipeline with its default, local engine setup, and dump the outputs."""
    output = project / "out" / "local"
    command = [str(project / ".venv" / "bin" / package), "run", "--config"]
    run([*command, str(config_for(project, output))], project, env, timeout=900)
    return dump(project, env, output)


def test_pyspark_on_a_standalone_cluster(
    template_src: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    env = project_env(isolated_env)
    if shutil.which("java", path=env["PATH"]) is None:
        pytest.skip("no java on PATH")
    project, answers = prepared_project("pyspark", template_src, tmp_path, env)
    package = str(answers["package_name"])
    expected = local_run(project, package, env)

    bin_dir = project / ".venv" / "bin"
    locate = "import os, pyspark; print(os.path.dirname(pyspark.__file__))"
    spark_home = run([str(bin_dir / "python"), "-c", locate], project, env).stdout.strip()
    spark_class = str(Path(spark_home) / "bin" / "spark-class")
    cluster_env = {
        **env,
        "SPARK_HOME": spark_home,
        "PYSPARK_PYTHON": str(bin_dir / "python"),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_NO_DAEMONIZE": "1",
    }
    port, ui_port, worker_ui = free_port(), free_port(), free_port()
    master_url = f"spark://127.0.0.1:{port}"
    master_cmd = [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                  "--port", str(port), "--webui-port", str(ui_port)]  # fmt: skip
    worker_port = free_port()
    worker_cmd = [spark_class, "org.apache.spark.deploy.worker.Worker", master_url,
                  "--host", "127.0.0.1", "--port", str(worker_port), "--webui-port", str(worker_ui),
                  "--cores", "2", "--memory", "2g"]  # fmt: skip
    output = project / "out" / "cluster"
    config = config_for(project, output)
    with (
        service(master_cmd, project, cluster_env, tmp_path / "master.log", port),
        service(worker_cmd, project, cluster_env, tmp_path / "worker.log", worker_port),
    ):
        time.sleep(3)  # let the worker register with the master
        submit_env = {**cluster_env, setting(project, "SPARK_MASTER"): master_url}
        completed = run(
            [str(Path(spark_home) / "bin" / "spark-submit"), "--master", master_url,
             str(project / "src" / package / "spark_submit.py"), "run", "--config", str(config)],
            project, submit_env, timeout=900,
        )  # fmt: skip
    report = json.loads((output / "reports" / "latest.json").read_text(encoding="utf-8"))
    assert report["status"] == "succeeded", completed.stdout
    found = differences(expected, dump(project, env, output))
    assert not found, "cluster run differs from the local run:\n" + "\n".join(found[:40])


def test_dask_on_a_scheduler_and_worker(
    template_src: Path, tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    env = project_env(isolated_env)
    project, answers = prepared_project("dask", template_src, tmp_path, env)
    package = str(answers["package_name"])
    expected = local_run(project, package, env)

    bin_dir = project / ".venv" / "bin"
    port, dashboard = free_port(), free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler_cmd = [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                     "--dashboard-address", f"127.0.0.1:{dashboard}"]  # fmt: skip
    worker_cmd = [str(bin_dir / "dask"), "worker", address, "--nworkers", "2", "--nthreads", "1",
                  "--no-dashboard", "--host", "127.0.0.1"]  # fmt: skip
    output = project / "out" / "cluster"
    config = config_for(project, output)
    with service(scheduler_cmd, project, env, tmp_path / "scheduler.log", port):
        with service(worker_cmd, project, env, tmp_path / "worker.log", port):
            time.sleep(3)  # let the workers register with the scheduler
            cluster_env = {**env, setting(project, "DASK_SCHEDULER"): address}
            run([str(bin_dir / package), "run", "--config", str(config)],
                project, cluster_env, timeout=900)  # fmt: skip
        log = (tmp_path / "scheduler.log").read_text(encoding="utf-8", errors="replace")
    assert "Receive client connection" in log, log[-3000:]
    found = differences(expected, dump(project, env, output))
    assert not found, "cluster run differs from the local run:\n" + "\n".join(found[:40])
