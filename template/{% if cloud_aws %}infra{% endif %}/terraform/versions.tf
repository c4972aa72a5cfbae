terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Partial backend: the state bucket, key and region are given at init, per environment:
  #   terraform init -backend-config="bucket=<state bucket>" \
  #     -backend-config="key=<project>/<env>.tfstate" -backend-config="region=<region>"
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
