"""The cloud data architecture: infra/terraform/ parses, and checkov passes on every provider.

No Terraform binary is available to the tests, so every `.tf` and `.tfvars` file is parsed
with python-hcl2 (fast tier), and checkov's Terraform policies run on each provider's
render (slow tier). A skipped check must carry its justification inline.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any

import hcl2
import pytest
import yaml

from tests.helpers import TEMPLATE_TAG, checkov, read_answers, render

if TYPE_CHECKING:
    from pathlib import Path

Answers = dict[str, Any]

PROVIDERS = ("aws", "gcp", "azure")
ENVIRONMENTS = ("dev", "staging", "prod")
TERRAFORM_DIR = "infra/terraform"

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
@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_terraform_passes_checkov(
    provider: str,
    variant: str,
    template_git_repo: Path,
    tmp_path: Path,
    isolated_env: dict[str, str],
) -> None:
    """checkov's Terraform policies pass with every option on and off; each skip is justified."""
    project = render_cloud(
        template_git_repo, tmp_path / "project", provider, variant, vcs_ref=TEMPLATE_TAG
    )
    reports = checkov(project, "terraform", TERRAFORM_DIR, isolated_env)
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


@pytest.mark.parametrize("variant", list(VARIANTS))
@pytest.mark.parametrize("provider", PROVIDERS)
def test_terraform_is_formatted(
    template_src: Path, tmp_path: Path, isolated_env: dict[str, str], provider: str, variant: str
) -> None:
    """`terraform fmt -check` changes nothing (skipped where no terraform binary is installed)."""
    project = render_cloud(template_src, tmp_path / "project", provider, variant)
    try:
        result = subprocess.run(
            ["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color"],
            capture_output=True,
            text=True,
            check=False,
            cwd=project / TERRAFORM_DIR,
            env={**isolated_env, "TF_CLI_CONFIG_FILE": "/dev/null"},
            timeout=120,
        )
    except FileNotFoundError:
        pytest.skip("no terraform binary")
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}"


# ------------------------------------------------------------------------------------------
# AWS
# ------------------------------------------------------------------------------------------

# Resources generated only with an answer (file, resource), by the answer that adds them.
AWS_OPTIONAL_RESOURCES = {
    "cloud_compute": ("compute.tf", 'resource "aws_ecs_task_definition" "job"'),
    "cloud_scheduler": ("compute.tf", 'resource "aws_scheduler_schedule" "job"'),
    "cloud_private_network": ("security.tf", 'resource "aws_vpc" "main"'),
    "cloud_dr_replication": ("lake.tf", 'resource "aws_s3_bucket_replication_configuration"'),
    "cloud_streaming": ("lake.tf", 'resource "aws_kinesis_firehose_delivery_stream" "events"'),
    "cloud_warehouse": ("lake.tf", 'resource "aws_athena_workgroup" "main"'),
}


@pytest.fixture(scope="module")
def aws_full(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_cloud(template_src, tmp_path_factory.mktemp("aws") / "full", "aws", "full")


@pytest.fixture(scope="module")
def aws_minimal(template_src: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_cloud(template_src, tmp_path_factory.mktemp("aws") / "min", "aws", "minimal")


def aws_blocks(parsed: dict[str, Any], kind: str, type_: str) -> dict[str, Any]:
    """The blocks of one kind and type (resource "aws_s3_bucket"...), by name, quotes removed."""
    found: dict[str, Any] = {}
    for block in parsed.get(kind, []):
        for key, named in block.items():
            if key.strip('"') != type_:
                continue
            for name, body in named.items():
                found[name.strip('"')] = body
    return found


def aws_tfvars(project: Path, env: str) -> dict[str, Any]:
    text = (project / TERRAFORM_DIR / "environments" / f"{env}.tfvars").read_text(encoding="utf-8")
    return {
        key: value.strip('"') if isinstance(value, str) else value
        for key, value in hcl2.loads(text).items()
    }


def test_aws_answers_choose_the_generated_resources(aws_full: Path, aws_minimal: Path) -> None:
    for answer, (name, resource) in AWS_OPTIONAL_RESOURCES.items():
        full = (aws_full / TERRAFORM_DIR / name).read_text(encoding="utf-8")
        assert resource in full, f"full: no {resource} for {answer}"
        minimal = (aws_minimal / TERRAFORM_DIR / name).read_text(encoding="utf-8")
        assert resource not in minimal, f"minimal: {resource} without {answer}"
    for project in (aws_full, aws_minimal):
        terraform = project / TERRAFORM_DIR
        text = "\n".join(path.read_text(encoding="utf-8") for path in terraform.glob("*.tf"))
        assert "? 1 : 0" not in text, "an answer left as a runtime switch"


def test_aws_tfvars_name_each_environments_lake(aws_full: Path) -> None:
    answers = read_answers(aws_full)
    for env in ENVIRONMENTS:
        tfvars = aws_tfvars(aws_full, env)
        assert tfvars["environment"] == env
        assert tfvars["lake_bucket_name"] == f"{answers['project_slug']}-{env}-lake"
        assert tfvars["region"] == answers["cloud_region"]
        assert tfvars["budget_monthly"] == answers["cloud_budget_monthly"]
        assert tfvars["alert_email"] == answers["cloud_alert_email"]
        assert tfvars["dr_region"] == answers["cloud_dr_region"]


def test_aws_lake_layout_follows_the_partitioning(aws_full: Path, aws_minimal: Path) -> None:
    for project, glob in ((aws_full, "dt=*/*.csv"), (aws_minimal, "*.csv")):
        main = (project / TERRAFORM_DIR / "main.tf").read_text(encoding="utf-8")
        assert f'/{glob}"' in main, f"FILES_PATH glob {glob} missing"
        assert "FILES_PATH = local.files_glob" in main
    streaming = (aws_full / TERRAFORM_DIR / "lake.tf").read_text(encoding="utf-8")
    assert 'prefix              = "raw/events/dt=!{timestamp:yyyy-MM-dd}/"' in streaming


def test_aws_lake_bucket_is_hardened(aws_full: Path) -> None:
    parsed = parse_terraform(aws_full)["lake.tf"]
    for kind in (
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
    ):
        assert {"lake", "logs"} <= set(aws_blocks(parsed, "resource", kind)), kind
    assert "lake" in aws_blocks(parsed, "resource", "aws_s3_bucket_logging")
    rules = aws_blocks(parsed, "resource", "aws_s3_bucket_replication_configuration")
    destination = rules["lake"]["rule"][0]["destination"][0]
    assert destination["replication_time"][0]["time"][0]["minutes"] == 15  # RPO 1 hour
    assert destination["metrics"][0]["status"] == '"Enabled"'


def test_aws_rpo_above_one_hour_has_no_replication_time_control(
    template_src: Path, tmp_path: Path
) -> None:
    answers = {**FULL, "cloud_rpo_hours": 4, "schedule": "@weekly"}
    project = render(template_src, tmp_path / "project", cloud_provider="aws", **answers)
    replication = (project / TERRAFORM_DIR / "lake.tf").read_text(encoding="utf-8")
    assert "replication_time" not in replication
    assert "metrics {" not in replication
    compute = (project / TERRAFORM_DIR / "compute.tf").read_text(encoding="utf-8")
    assert 'schedule_expression          = "cron(0 0 ? * SUN *)"' in compute


def test_aws_scheduler_role_may_only_run_the_task(aws_full: Path) -> None:
    compute = (aws_full / TERRAFORM_DIR / "compute.tf").read_text(encoding="utf-8")
    policy = compute.split('resource "aws_iam_role_policy" "scheduler"', 1)[1].split("\n}\n", 1)[0]
    actions = [line.split("=", 1)[1].strip() for line in policy.splitlines() if "Action" in line]
    assert actions == ['"ecs:RunTask"', '"iam:PassRole"', '"kms:Decrypt"']
    assert 'schedule_expression          = "cron(0 2 * * ? *)"' in compute
    assert "assign_public_ip = false" in compute


def test_aws_docs_and_readme_describe_the_answers(aws_full: Path, aws_minimal: Path) -> None:
    full = (aws_full / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "## 11. Cloud architecture (AWS)" in full
    for number in range(1, 10):
        assert f"### 11.{number} " in full, f"no section 11.{number}"
    assert "```mermaid\nflowchart LR" in full
    for component in ("Fargate", "Kinesis Data Firehose", "Athena", "replica", "RTC 15 min"):
        assert component in full, component
    minimal = (aws_minimal / "docs" / "architecture.md").read_text(encoding="utf-8")
    for component in ("Fargate task<br/>", "Kinesis Data Firehose<br/>", "Athena workgroup]"):
        assert component not in minimal, component
    assert "No cross-region replication was chosen" in minimal
    readme = (aws_full / "README.md").read_text(encoding="utf-8")
    assert "## Cloud infrastructure" in readme
    assert "-var-file=environments/dev.tfvars" in readme


# ==============================================================================
# Google Cloud (gcp): what each answer generates
# ==============================================================================


def _gcp_unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def _gcp_blocks(parsed: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """Every `resource` (or `data`) block of the render, by `<type>.<name>`."""
    blocks: dict[str, dict[str, Any]] = {}
    for document in parsed.values():
        for entry in document.get(kind, []):
            for rtype, named in entry.items():
                for name, body in named.items():
                    blocks[f"{_gcp_unquote(rtype)}.{_gcp_unquote(name)}"] = body
    return blocks


def _gcp_locals(parsed: dict[str, dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for document in parsed.values():
        for entry in document.get("locals", []):
            merged.update(entry)
    return merged


GCP_OPTIONAL = {
    "cloud_compute": (
        "google_cloud_run_v2_job.pipeline",
        "google_monitoring_alert_policy.job_failed",
    ),
    "cloud_scheduler": ("google_cloud_scheduler_job.pipeline", "google_service_account.scheduler"),
    "cloud_streaming": ("google_pubsub_topic.events", "google_pubsub_subscription.events_to_lake"),
    "cloud_warehouse": ("google_bigquery_dataset.curated", "google_bigquery_connection.lake"),
    "cloud_private_network": ("google_compute_network.vpc", "google_compute_subnetwork.private"),
    "cloud_dr_replication": ("google_kms_key_ring.lake",),
}
"""The resources each option adds (absent when it is off)."""


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_gcp_every_option_changes_the_resources(
    template_src: Path, tmp_path: Path, variant: str
) -> None:
    project = render_cloud(template_src, tmp_path / "project", "gcp", variant)
    resources = _gcp_blocks(parse_terraform(project), "resource")
    for always in (
        "google_storage_bucket.lake",
        "google_storage_bucket.logs",
        "google_service_account.pipeline",
        "google_kms_crypto_key.lake",
        "google_project_iam_audit_config.storage",
        "google_billing_budget.monthly",
    ):
        assert always in resources, f"{always} missing ({variant})"
    for option, names in GCP_OPTIONAL.items():
        for name in names:
            assert (name in resources) is (variant == "full"), f"{option}: {name} ({variant})"
    lake = resources["google_storage_bucket.lake"]
    assert lake["public_access_prevention"] == '"enforced"'
    assert lake["uniform_bucket_level_access"] is True
    assert lake["versioning"][0]["enabled"] is True
    assert "default_kms_key_name" in lake["encryption"][0]
    if variant == "full":
        assert lake["rpo"] == '"ASYNC_TURBO"'
        assert lake["custom_placement_config"][0]["data_locations"]
        job = resources["google_cloud_run_v2_job.pipeline"]["template"][0]["template"][0]
        assert job["vpc_access"][0]["egress"] == '"ALL_TRAFFIC"'
    else:
        assert "rpo" not in lake
        assert "custom_placement_config" not in lake


@pytest.mark.parametrize(
    ("partitioning", "glob"),
    [("ingest_date", "raw/orders/dt=*/*.csv"), ("none", "raw/orders/*.csv")],
)
def test_gcp_the_job_gets_the_lake_urls(
    template_src: Path, tmp_path: Path, partitioning: str, glob: str
) -> None:
    answers = {**FULL, "lake_partitioning": partitioning, "destinations": ["parquet", "delta"]}
    project = render(template_src, tmp_path / "project", cloud_provider="gcp", **answers)
    parsed = parse_terraform(project)
    local = _gcp_locals(parsed)
    assert local["raw_glob"] == '"${local.lake_url}/' + glob + '"'
    env = local["pipeline_environment"]
    assert env["ORDERS_PIPELINE_ENV"] == "${var.environment}"
    assert env["ORDERS_PIPELINE_FILES_PATH"] == "${local.raw_glob}"
    assert env["ORDERS_PIPELINE_DELTA_PATH"] == '"${local.curated}/delta"'
    resources = _gcp_blocks(parsed, "resource")
    assert resources["google_bigquery_table.delta"]["for_each"] == "${toset(var.delta_tables)}"
    assert parsed["environments/prod.tfvars"]["delta_tables"] == ['"orders"']
    storage = resources["google_pubsub_subscription.events_to_lake"]["cloud_storage_config"][0]
    prefix = "raw/events/dt=" if partitioning == "ingest_date" else "raw/events/"
    assert storage["filename_prefix"] == f'"{prefix}"'


def test_gcp_tfvars_carry_the_answers(template_src: Path, tmp_path: Path) -> None:
    project = render_cloud(
        template_src,
        tmp_path / "project",
        "gcp",
        "full",
        schedule="@daily",
        cloud_budget_monthly=750,
        cloud_alert_email="ops@example.org",
        data_classification="confidential",
    )
    parsed = parse_terraform(project)
    for env in ENVIRONMENTS:
        tfvars = parsed[f"environments/{env}.tfvars"]
        assert tfvars["lake_name"] == f'"orders-pipeline-{env}-lake"'
        assert tfvars["environment"] == f'"{env}"'
        assert tfvars["schedule"] == '"0 0 * * *"'
        assert tfvars["budget_monthly"] == 750
        assert tfvars["alert_email"] == '"ops@example.org"'
        assert tfvars["data_classification"] == '"confidential"'
        assert tfvars["dr_region"] == '"europe-west4"'
        assert tfvars["lake_multi_region"] == '"EU"'
    minimal = render_cloud(template_src, tmp_path / "minimal", "gcp", "minimal")
    tfvars = parse_terraform(minimal)["environments/prod.tfvars"]
    assert not {"image", "schedule", "dr_region"} & set(tfvars)


def test_gcp_architecture_has_the_nine_sections(template_src: Path, tmp_path: Path) -> None:
    project = render_cloud(template_src, tmp_path / "project", "gcp", "full", cloud_rto_hours=6)
    doc = (project / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert "## 11. Cloud architecture (Google Cloud)" in doc
    for number in range(1, 10):
        assert f"### 11.{number} " in doc, f"section 11.{number} missing"
    assert "```mermaid\nflowchart LR" in doc
    assert "RTO 6 h" in doc
    assert 'rpo = "ASYNC_TURBO"' in doc
    assert "Cloud Scheduler" in doc
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "-var-file=environments/<env>.tfvars" in readme


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
