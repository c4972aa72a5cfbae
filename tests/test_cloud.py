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


# ==============================================================================
# Microsoft Azure
# ==============================================================================
AZURE_OPTIONAL_RESOURCES = (
    "azurerm_container_app_job.pipeline",
    "azurerm_synapse_workspace.main",
    "azurerm_eventhub.events",
    "azurerm_virtual_network.main",
)
"""One resource of each optional component: the job, the warehouse, streaming, the network."""


def azure_resources(parsed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every resource of the parsed Terraform, by `type.name` (hcl2 8.x's quotes removed)."""
    resources: dict[str, dict[str, Any]] = {}
    for content in parsed.values():
        for block in content.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    resources[f"{kind.strip(chr(34))}.{name.strip(chr(34))}"] = body
    return resources


def azure_tfvars(parsed: dict[str, dict[str, Any]], env: str) -> dict[str, Any]:
    values = parsed[f"environments/{env}.tfvars"]
    return {key: str(value).strip('"') for key, value in values.items()}


def test_azure_full_variant_generates_every_component(template_src: Path, tmp_path: Path) -> None:
    project = render_cloud(template_src, tmp_path / "project", "azure", "full", schedule="@daily")
    parsed = parse_terraform(project)
    resources = azure_resources(parsed)
    for name in AZURE_OPTIONAL_RESOURCES:
        assert name in resources, f"{name} missing with every option on"
    lake = resources["azurerm_storage_account.lake"]
    assert lake["is_hns_enabled"] is True
    assert lake["shared_access_key_enabled"] is False
    assert lake["public_network_access_enabled"] is False
    assert lake["account_replication_type"] == '"RAGZRS"'  # RPO 1 h: geo-zone-redundant
    assert "customer_managed_key" in lake
    job = resources["azurerm_container_app_job.pipeline"]
    assert job["schedule_trigger_config"][0]["cron_expression"] == '"0 0 * * *"'  # @daily
    assert "manual_trigger_config" not in job
    locals_ = parsed["main.tf"]["locals"][0]
    assert locals_["raw_files_glob"].endswith('/raw/orders/dt=*/*.csv"')
    for env, suffix in zip(ENVIRONMENTS, ("dev", "stg", "prd"), strict=True):
        tfvars = azure_tfvars(parsed, env)
        assert tfvars["environment"] == env
        assert tfvars["lake_account_name"].endswith(f"{suffix}lake")
        assert tfvars["dr_location"] == "northeurope"
        assert "image" in tfvars


def test_azure_minimal_variant_generates_the_lake_only(template_src: Path, tmp_path: Path) -> None:
    project = render_cloud(template_src, tmp_path / "project", "azure", "minimal")
    parsed = parse_terraform(project)
    resources = azure_resources(parsed)
    assert not [name for name in AZURE_OPTIONAL_RESOURCES if name in resources]
    lake = resources["azurerm_storage_account.lake"]
    assert lake["account_replication_type"] == '"ZRS"'
    assert lake["public_network_access_enabled"] is True
    assert parsed["main.tf"]["locals"][0]["raw_files_glob"].endswith('/raw/orders/*.csv"')
    tfvars = azure_tfvars(parsed, "prod")
    assert "dr_location" not in tfvars
    assert "image" not in tfvars
    assert "allowed_ip_ranges" in {
        name.strip('"') for block in parsed["variables.tf"]["variable"] for name in block
    }


def test_azure_job_without_scheduler_has_a_manual_trigger(
    template_src: Path, tmp_path: Path
) -> None:
    project = render(
        template_src,
        tmp_path / "project",
        cloud_provider="azure",
        **{**FULL, "cloud_scheduler": False},
    )
    job = azure_resources(parse_terraform(project))["azurerm_container_app_job.pipeline"]
    assert "manual_trigger_config" in job
    assert "schedule_trigger_config" not in job


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_azure_docs_have_the_nine_cloud_sections(
    template_src: Path, tmp_path: Path, variant: str
) -> None:
    project = render_cloud(template_src, tmp_path / "project", "azure", variant)
    architecture = (project / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "## 11. Cloud architecture (Microsoft Azure)" in architecture
    for number in range(1, 10):
        assert f"### 11.{number} " in architecture
    assert "```mermaid\nflowchart LR" in architecture
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "-var-file=environments/<env>.tfvars" in readme


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_azure_terraform_is_formatted(
    template_src: Path, tmp_path: Path, isolated_env: dict[str, str], variant: str
) -> None:
    """`terraform fmt -check`, where a Terraform binary is installed."""
    project = render_cloud(template_src, tmp_path / "project", "azure", variant)
    try:
        result = subprocess.run(
            ["terraform", "fmt", "-check", "-recursive", "-diff", "."],
            capture_output=True,
            text=True,
            check=False,
            cwd=project / TERRAFORM_DIR,
            env={**isolated_env, "TF_CLI_CONFIG_FILE": "/dev/null"},
            timeout=120,
        )
    except FileNotFoundError:
        pytest.skip("no terraform binary")
    assert result.returncode == 0, f"not terraform-fmt formatted:\n{result.stdout}"
