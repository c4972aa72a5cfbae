terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.40"
    }
  }

  # Partial backend: the state's storage account, container and key come from
  # `terraform init -backend-config=...` (see the project README), one key per environment.
  backend "azurerm" {}
}

provider "azurerm" {
  # The lake accepts Entra ID tokens only (shared keys are disabled), so data-plane calls
  # use them too. The subscription comes from ARM_SUBSCRIPTION_ID.
  storage_use_azuread = true

  features {
    key_vault {
      purge_soft_delete_on_destroy    = false
      recover_soft_deleted_key_vaults = true
    }
  }
}
