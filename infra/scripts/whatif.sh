#!/usr/bin/env sh
# What-if gate, for an operator to run before `azd up` or `azd provision`: shows what provisioning would create,
# change or delete, and changes nothing.
#   ./infra/scripts/whatif.sh [ENVIRONMENT]      (default: $AZURE_ENV_NAME, else azd's default environment)
# It runs `azd provision --preview`, so the preview uses exactly what the real run uses: main.parameters.json filled
# from the azd environment, the environment's subscription (AZURE_SUBSCRIPTION_ID) and region, and the preprovision
# hook, which reads Azure (every call with --subscription) and sets ARCHIVER_CODE_DEPLOYED and
# ARCHIVE_IMMUTABILITY_POLICY_APPLY to the values the real provisioning would get, and refuses what it would refuse.
# Azure Resource Manager then answers a what-if of infra/main.bicep. Not previewed: the post-deploy deployments
# (infra/subscriptions.bicep, infra/callback-url.bicep), which need the deployed code.
# Exit status: azd's (0 when the preview ran). Same logic as whatif.ps1.
set -eu

env_name="${1:-${AZURE_ENV_NAME:-}}"
if [ -z "$env_name" ]; then
  env_name="$(azd env get-value AZURE_ENV_NAME 2>/dev/null || true)"
fi
if [ -z "$env_name" ]; then
  echo "whatif: no azd environment: pass its name (./infra/scripts/whatif.sh prod), or create one (azd env new prod)." >&2
  exit 2
fi

# The subscription the preview (and the real provisioning) deploys to: the environment's, never the CLI's default.
subscription="$(azd env get-value AZURE_SUBSCRIPTION_ID --environment "$env_name" 2>/dev/null || true)"
if [ -z "$subscription" ]; then
  echo "whatif: the azd environment '$env_name' has no AZURE_SUBSCRIPTION_ID (or does not exist: azd env list)." >&2
  echo "  Set the subscription to deploy to first: azd env set AZURE_SUBSCRIPTION_ID <subscription id> --environment $env_name" >&2
  exit 2
fi

echo "whatif: previewing azd provision of environment '$env_name' in subscription $subscription (nothing is changed)."
azd provision --preview --environment "$env_name" --no-prompt
