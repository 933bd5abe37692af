#!/usr/bin/env sh
# azd preprovision hook: reads what already runs in Azure and sets the two parameters main.bicep cannot find out by
# itself (azd reloads the environment after a hook, so main.parameters.json sees them):
#   ARCHIVER_CODE_DEPLOYED            true when the function app already runs the code: RECORDING_STATE_CALLBACK_URL
#                                     can then carry the recordingState function's own key (app/function.bicep).
#   ARCHIVE_IMMUTABILITY_POLICY_APPLY false once the WORM container's immutability policy is LOCKED: a locked policy
#                                     refuses every update except extending it, so it must not be PUT again.
# and refuses, with the reason, the WORM changes that would silently weaken the archive. On the very first
# provisioning nothing exists yet and both keep their defaults. Needs the Azure CLI, signed in (`az login`).
# Same logic as preprovision.ps1.
set -eu

: "${AZURE_ENV_NAME:?not set: run through azd (azd provision / azd up)}"

set_env() {
  azd env set "$1" "$2" --environment "$AZURE_ENV_NAME" >/dev/null
}

rg="${AZURE_RESOURCE_GROUP:-}"
app="${AZURE_FUNCTION_APP_NAME:-}"
account="${ARCHIVE_STORAGE_ACCOUNT_NAME:-}"
plain_container="${ARCHIVE_PLAIN_CONTAINER:-recordings}"
# app/archive-storage.bicep: immutableArchiveContainerName = '<plain>-worm'
worm_container="${plain_container}-worm"
worm="${ARCHIVE_IMMUTABILITY_ENABLED:-false}"
apply="${ARCHIVE_IMMUTABILITY_POLICY_APPLY:-true}"

# 1. Is the code deployed? (values of an earlier provisioning; absent on the first one, stale after `azd down`)
code_deployed=false
if [ -n "$rg" ] && [ -n "$app" ] &&
  az functionapp function show --resource-group "$rg" --name "$app" --function-name recordingState \
    --query name --output tsv >/dev/null 2>&1; then
  code_deployed=true
fi
set_env ARCHIVER_CODE_DEPLOYED "$code_deployed"

# 2. WORM. Prints "<version-level immutability enabled> <policy state>" of a container, nothing when it does not exist.
container_state() {
  az storage container-rm show --storage-account "$account" --resource-group "$rg" --name "$1" \
    --query "join(' ', [to_string(immutableStorageWithVersioning.enabled || 'false'), to_string(immutabilityPolicy.state || 'None')])" \
    --output tsv 2>/dev/null || true
}

state=""
if [ -n "$rg" ] && [ -n "$account" ] &&
  az storage account show --resource-group "$rg" --name "$account" --query name --output tsv >/dev/null 2>&1; then
  state="$(container_state "$worm_container")"
fi

if [ "$worm" = "true" ]; then
  case "$state" in
    "")
      echo "preprovision: WORM on: recordings are archived into the container '$worm_container', created with version-level"
      echo "  immutability (it can only be set when a container is created). Anything already archived in '$plain_container'"
      echo "  stays there, NOT protected. Let pending recordings finish first (npx call-recording-archiver status)."
      ;;
    false\ *)
      echo "preprovision: refusing: the container '$worm_container' exists in '$account' WITHOUT version-level immutability," >&2
      echo "  which cannot be added to an existing container (a container policy there would refuse manifest updates)." >&2
      echo "  Move its blobs away and delete it, then run azd provision again." >&2
      exit 1
      ;;
    *\ Locked)
      apply=false
      echo "preprovision: the immutability policy of '$worm_container' is locked: not deploying it again (a locked policy"
      echo "  can only be extended: az storage container immutability-policy extend --account-name $account -c $worm_container ...)."
      ;;
  esac
else
  case "$state" in
    true\ *)
      if [ "${ARCHIVE_IMMUTABILITY_ALLOW_DISABLE:-false}" != "true" ]; then
        echo "preprovision: refusing: WORM is on for this environment ('$worm_container' exists with version-level immutability)." >&2
        echo "  Turning ARCHIVE_IMMUTABILITY_ENABLED off would archive new recordings into '$plain_container', unprotected." >&2
        echo "  Set ARCHIVE_IMMUTABILITY_ENABLED=true again, or ARCHIVE_IMMUTABILITY_ALLOW_DISABLE=true if that is intended." >&2
        exit 1
      fi
      echo "preprovision: WORM off (ARCHIVE_IMMUTABILITY_ALLOW_DISABLE): new recordings go to '$plain_container', unprotected."
      ;;
  esac
fi
set_env ARCHIVE_IMMUTABILITY_POLICY_APPLY "$apply"
