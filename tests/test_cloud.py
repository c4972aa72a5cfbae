"""The cloud data architecture: infra/terraform/ parses, and checkov passes on every provider.

No Terraform binary is available to the tests, so every `.tf` and `.tfvars` file is parsed
with python-hcl2 (fast tier), and checkov's Terraform policies run on each provider's
render (slow tier). A skipped check must carry its justification inline.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

import hcl2
import pytest
import yaml

from tests.helpers import TEMPLATE_TAG, read_answers, render

if TYPE_CHECKING:
    from pathlib import Path

Answers = dict[str, Any]

PROVIDERS = ("aws", "gcp", "azure")
ENVIRONMENTS = ("dev", "staging", "prod")
TERRAFORM_DIR = "infra/terraform"
CHECKOV = "checkov==3.3.30"
"""checkov, run with uvx (its dependencies conflict with the template's own tools)."""

# Every cloud option on, and every one off (with the fastest replication in the first).
FULL: Answers = {
    "lake_partitioning": "ingest_date",
    "cloud_warehouse": True,
    "cloud_compute": "container_job",
    "cloud_scheduler": True,
    "cloud_streaming": True,
    "cloud_private_network": True,
    "cloud_dr_replication": True,
    "cloud_rpo_hours": 1,
}
MINIMAL: Answers = {
    "lake_partitioning": "none",
    "cloud_warehouse": False,
    "cloud_compute": "none",
    "cloud_streaming": False,
    "cloud_private_network": False,
    "cloud_dr_replication": False,
}
VARIANTS: dict[str, Answers] = {"full": FULL, "minimal": MINIMAL}


def render_cloud(src: Path, dst: Path, provider: str, variant: str, **extra: Any) -> Path:
    return render(src, dst, cloud_provider=provider, **VARIANTS[variant], **extra)


def parse_terraform(project: Path) -> dict[str, dict[str, Any]]:
    """Every `.tf` and `.tfvars` file under infra/terraform, parsed, by relative path."""
    root = project / TERRAFORM_DIR
    parsed: dict[str, dict[str, Any]] = {}
    for path in sorted([*root.rglob("*.tf"), *root.rglob("*.tfvars")]):
        relative = str(path.relative_to(root))
        try:
            parsed[relative] = hcl2.loads(path.read_text(encoding="utf-8"))
        except Exception as exc:  # noqa: BLE001 - any parse error fails with its file named
            pytest.fail(f"{TERRAFORM_DIR}/{relative} does not parse: {exc}")
    return parsed


def test_no_cloud_generates_no_infrastructure(template_src: Path, tmp_path: Path) -> None:
    project = render(template_src, tmp_path / "project")
    assert not (project / "infra").exists()
    assert read_answers(project)["cloud_provider"] == "none"


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_terraform_parses_with_per_environment_tfvars(
    template_src: Path, tmp_path: Path, provider: str, variant: str
) -> None:
    project = render_cloud(template_src, tmp_path / "project", provider, variant)
    parsed = parse_terraform(project)
    assert any(name.endswith(".tf") for name in parsed), "no Terraform file"
    for env in ENVIRONMENTS:
        assert f"environments/{env}.tfvars" in parsed, f"no tfvars for {env}"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_answers_are_recorded(template_src: Path, tmp_path: Path, provider: str) -> None:
    project = render_cloud(template_src, tmp_path / "project", provider, "full")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["cloud_provider"] == provider
    assert answers["cloud_rpo_hours"] == 1


@pytest.mark.slow
@pytest.mark.parametrize("provider", PROVIDERS)
def test_terraform_passes_checkov(
    provider: str,
    template_git_repo: Path,
    tmp_path: Path,
    isolated_env: dict[str, str],
) -> None:
    """checkov's Terraform policies pass; every skip is justified inline."""
    project = render_cloud(
        template_git_repo, tmp_path / "project", provider, "full", vcs_ref=TEMPLATE_TAG
    )
    # No platform key: BC_SKIP_MAPPING and --skip-download keep checkov offline.
    result = subprocess.run(
        [
            "uvx",
            CHECKOV,
            "--skip-download",
            "--framework",
            "terraform",
            "--output",
            "json",
            "--directory",
            TERRAFORM_DIR,
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=project,
        env={**isolated_env, "BC_SKIP_MAPPING": "TRUE"},
        timeout=900,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no JSON report:\n{result.stdout}\n{result.stderr[-2000:]}")
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} ({check['file_path']})"
        for one in reports
        for check in one["results"]["failed_checks"]
    ]
    assert failed == [], "checkov FAILED:\n" + "\n".join(failed)
    unjustified = [
        f"{check['check_id']}: {check['resource']}"
        for one in reports
        for check in one["results"]["skipped_checks"]
        if not str(check.get("check_result", {}).get("suppress_comment") or "").strip()
    ]
    assert unjustified == [], "skipped without a reason:\n" + "\n".join(unjustified)
    assert sum(one["summary"]["passed"] for one in reports) > 0
