#!/usr/bin/env pwsh
# What-if gate (Windows), for an operator to run before `azd up` or `azd provision`: shows what provisioning would
# create, change or delete, and changes nothing. Same logic as whatif.sh:
#   ./infra/scripts/whatif.ps1 [ENVIRONMENT]     (default: $env:AZURE_ENV_NAME, else azd's default environment)
# It runs `azd provision --preview`: the same parameters, subscription (AZURE_SUBSCRIPTION_ID), region and preprovision
# hook as the real run. Not previewed: the post-deploy deployments, which need the deployed code.
param([string] $EnvironmentName = $env:AZURE_ENV_NAME)
$ErrorActionPreference = 'Stop'

if (-not $EnvironmentName) {
  $EnvironmentName = "$(azd env get-value AZURE_ENV_NAME 2> $null)".Trim()
  if ($LASTEXITCODE -ne 0) { $EnvironmentName = '' }
}
if (-not $EnvironmentName) {
  Write-Error 'whatif: no azd environment: pass its name (./infra/scripts/whatif.ps1 prod), or create one (azd env new prod).' -ErrorAction Continue
  exit 2
}

# The subscription the preview (and the real provisioning) deploys to: the environment's, never the CLI's default.
$subscription = "$(azd env get-value AZURE_SUBSCRIPTION_ID --environment $EnvironmentName 2> $null)".Trim()
if ($LASTEXITCODE -ne 0) { $subscription = '' }
if (-not $subscription) {
  Write-Error ("whatif: the azd environment '$EnvironmentName' has no AZURE_SUBSCRIPTION_ID (or does not exist: azd env list). " +
    "Set the subscription to deploy to first: azd env set AZURE_SUBSCRIPTION_ID <subscription id> --environment $EnvironmentName") -ErrorAction Continue
  exit 2
}

Write-Host "whatif: previewing azd provision of environment '$EnvironmentName' in subscription $subscription (nothing is changed)."
azd provision --preview --environment $EnvironmentName --no-prompt
exit $LASTEXITCODE
