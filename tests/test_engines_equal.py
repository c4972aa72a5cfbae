"""Slow tier: every engine gives the same outputs as the reference engine, field by field.

Each engine's project is rendered with the same answers, run on the same inputs
(the bundled sample, and the bad-row fixture with the quarantine threshold
lifted), and its outputs are dumped with the project's own Python
(tests/resources/dump_outputs.py): Parquet tables, DuckDB tables, quarantined rows
with their rules and reasons, and the run report's counts. Floats must agree to
1e-9; everything else exactly.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import choice_values, questions, read_answers, render, run
from tests.test_generated_project import project_env

pytestmark = pytest.mark.slow

REFERENCE = "polars"
ENGINES = [str(value) for value in choice_values(questions()["engine"])]
DUMP = Path(__file__).parent / "resources" / "dump_outputs.py"
# The dump runs in the project's environment, with pyarrow added for engines that do not need it.
DUMP_COMMAND = ["uv", "run", "--no-sync", "--with", "pyarrow", "python", str(DUMP)]
INPUTS = {
    "sample": None,  # the project's own config, on data/sample/
    "bad-rows": "tests/fixtures/bad_rows.csv",
}
TOLERANCE = 1e-9


def dump_outputs(project: Path, env: dict[str, str], input_name: str) -> dict[str, Any]:
    """Run the project's pipeline on one input and dump what it wrote."""
    answers = read_answers(project)
    config = yaml.safe_load((project / "config" / "pipeline.yml").read_text(encoding="utf-8"))
    output = project / "out" / input_name
    config["output_dir"] = str(output)
    for name, destination in config["destinations"].items():
        destination["path"] = str(output / ("parquet" if name == "parquet" else "warehouse.duckdb"))
    fixture = INPUTS[input_name]
    if fixture is not None:
        config["datasets"][0]["source"]["path"] = fixture
        config["max_invalid_ratio"] = 1.0
    config_path = project / "config" / f"{input_name}.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    if output.exists():
        shutil.rmtree(output)
    command = [str(answers["package_name"]), "run", "--config", str(config_path)]
    run(["uv", "run", "--no-sync", *command], project, env, timeout=900)
    dumped = run([*DUMP_COMMAND, str(output)], project, env, timeout=300).stdout
    result: dict[str, Any] = json.loads(dumped)
    return result


class EngineOutputs:
    """Outputs per engine and input, ``{engine: {input: dump}}``, computed on first use.

    Only the engines a selection of the tests needs are rendered and run, so that
    ``-k pyspark`` runs the reference and PySpark only.
    """

    def __init__(self, template_src: Path, tmp: pytest.TempPathFactory, env: dict[str, str]):
        self.template_src = template_src
        self.tmp = tmp
        self.env = env
        self.found: dict[str, dict[str, Any]] = {}

    def __getitem__(self, engine: str) -> dict[str, Any]:
        if engine not in self.found:
            project = render(self.template_src, self.tmp.mktemp(engine) / "project", engine=engine)
            run(["uv", "sync", "--no-dev"], project, self.env, timeout=1200)
            self.found[engine] = {name: dump_outputs(project, self.env, name) for name in INPUTS}
        return self.found[engine]


@pytest.fixture(scope="module")
def outputs(
    template_src: Path, tmp_path_factory: pytest.TempPathFactory, isolated_env: dict[str, str]
) -> EngineOutputs:
    """Each engine's outputs, rendered and run when a test first asks for them."""
    return EngineOutputs(template_src, tmp_path_factory, project_env(isolated_env))


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where ``actual`` differs from ``expected`` (floats within TOLERANCE)."""
    if isinstance(expected, float) and isinstance(actual, (float, int)):
        same = math.isclose(expected, actual, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
        return [] if same else [f"{where}: {actual!r} != {expected!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}.{key}: missing" for key in expected.keys() - actual.keys()]
        found += [f"{where}.{key}: unexpected" for key in actual.keys() - expected.keys()]
        for key in sorted(expected.keys() & actual.keys()):
            found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(actual)} rows != {len(expected)}"]
        found = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found += differences(left, right, f"{where}[{index}]")
        return found
    return [] if expected == actual else [f"{where}: {actual!r} != {expected!r}"]


@pytest.mark.parametrize("engine", [engine for engine in ENGINES if engine != REFERENCE])
@pytest.mark.parametrize("input_name", list(INPUTS))
def test_engine_matches_reference(outputs: EngineOutputs, engine: str, input_name: str) -> None:
    expected = outputs[REFERENCE][input_name]
    actual = outputs[engine][input_name]
    assert expected["report"]["status"] == "succeeded", expected["report"]
    found = differences(expected, actual)
    summary = "\n".join(found[:40])
    assert not found, f"{engine} differs from {REFERENCE} on {input_name}:\n{summary}"


def test_reference_outputs_are_complete(outputs: EngineOutputs) -> None:
    for input_name, dump in outputs[REFERENCE].items():
        assert dump["parquet"], input_name
        assert dump["duckdb"], input_name
        assert any(table["rows"] for table in dump["quarantine"].values()), input_name
