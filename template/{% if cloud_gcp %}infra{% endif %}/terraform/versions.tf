terraform {
  required_version = ">= 1.6, < 2.0"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 7.0"
    }
  }

  # Partial backend: the state bucket and prefix are given at init, per environment:
  #   terraform init -backend-config="bucket=<state bucket>" -backend-config="prefix=<env>"
  backend "gcs" {}
}
