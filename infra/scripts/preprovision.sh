#!/usr/bin/env sh
# azd preprovision hook: reads what already runs in Azure and sets the parameters main.bicep cannot find out by
# itself (azd reloads the environment after a hook, so main.parameters.json sees them):
#   ARCHIVER_CODE_DEPLOYED            true when the function app already runs the code: the provisioning then carries
#                                     the current RECORDING_STATE_CALLBACK_URL over (main.bicep).
#   ARCHIVE_IMMUTABILITY_POLICY_APPLY false once the WORM container's immutability policy is LOCKED: a locked policy
#                                     refuses every update except extending it, so it must not be PUT again.
#   AUDIT_IMMUTABILITY_POLICY_APPLY   the same for the audit container's policy (the audit container is always WORM).
# WORM itself (ARCHIVE_IMMUTABILITY_ENABLED) has no default: azd asks for it on a new environment, after this hook,
# and keeps the answer in the environment's config (infra.parameters.enableImmutability), where this hook reads it.
# It refuses, with the reason, the WORM changes that would silently weaken the archive, and an existing Event Grid
# system topic without the system-assigned identity main.bicep needs. On the very first provisioning nothing exists
# yet and both parameters keep their defaults. `azd provision --preview` (infra/scripts/whatif.sh) runs it too.
# Every Azure CLI call names the subscription azd deploys to (AZURE_SUBSCRIPTION_ID), never the CLI's default one,
# and a call that fails stops the provisioning with its message: a failure is never read as "nothing there".
# Needs the Azure CLI, signed in (`az login`) to that subscription's tenant. Same logic as preprovision.ps1.
set -eu

: "${AZURE_ENV_NAME:?not set: run through azd (azd provision / azd up)}"

if [ -z "${AZURE_SUBSCRIPTION_ID:-}" ]; then
  echo "preprovision: AZURE_SUBSCRIPTION_ID is not set in the azd environment '$AZURE_ENV_NAME'." >&2
  echo "  Every Azure CLI call here names the subscription azd deploys to, never the Azure CLI's default one." >&2
  echo "  Run 'azd up' (it asks for the subscription before provisioning), or set it first:" >&2
  echo "  azd env set AZURE_SUBSCRIPTION_ID <subscription id> --environment $AZURE_ENV_NAME" >&2
  exit 1
fi

err="$(mktemp)"
trap 'rm -f "$err"' EXIT

# fail WHAT: the az call just made failed; says what it was for and what az said, then stops.
fail() {
  echo "preprovision: $1 failed in subscription $AZURE_SUBSCRIPTION_ID:" >&2
  sed 's/^/  /' "$err" >&2
  echo "  Nothing was changed. Fix the cause (az login, your access to the subscription, the network) and run" >&2
  echo "  azd provision again." >&2
  exit 1
}

set_env() {
  azd env set "$1" "$2" --environment "$AZURE_ENV_NAME" >/dev/null
}

# 0. The Azure CLI can use the subscription azd deploys to (azd and the Azure CLI sign in separately).
if ! az account show --subscription "$AZURE_SUBSCRIPTION_ID" --query id --output tsv >/dev/null 2>"$err"; then
  echo "preprovision: the Azure CLI cannot use subscription $AZURE_SUBSCRIPTION_ID, the one azd deploys to:" >&2
  sed 's/^/  /' "$err" >&2
  echo "  azd and the Azure CLI sign in separately: az login --tenant ${AZURE_TENANT_ID:-<tenant id of the subscription>}" >&2
  exit 1
fi

rg="${AZURE_RESOURCE_GROUP:-}"
app="${AZURE_FUNCTION_APP_NAME:-}"
account="${ARCHIVE_STORAGE_ACCOUNT_NAME:-}"
plain_container="${ARCHIVE_PLAIN_CONTAINER:-recordings}"
# app/archive-storage.bicep: immutableArchiveContainerName = '<plain>-worm'
worm_container="${plain_container}-worm"
audit_container="${AUDIT_CONTAINER:-recording-audit}"
apply="${ARCHIVE_IMMUTABILITY_POLICY_APPLY:-true}"
audit_apply="${AUDIT_IMMUTABILITY_POLICY_APPLY:-true}"

# WORM on or off: the environment value, else the answer azd kept when it asked (it asks when neither is there).
# `azd env config get` fails when nothing is stored: then it is unknown (''), which is never read as "off".
worm="${ARCHIVE_IMMUTABILITY_ENABLED:-}"
if [ -z "$worm" ]; then
  worm="$(azd env config get infra.parameters.enableImmutability --environment "$AZURE_ENV_NAME" 2>/dev/null | tr -d '"[:space:]')" ||
    worm=""
fi

# Values of an earlier provisioning: absent on the first one, stale after `azd down` (the group is gone then).
rg_exists=false
if [ -n "$rg" ]; then
  rg_exists="$(az group exists --name "$rg" --subscription "$AZURE_SUBSCRIPTION_ID" --output tsv 2>"$err")" ||
    fail "checking the resource group '$rg'"
fi

# 1. Is the code deployed? (the app exists and has its recordingState function)
code_deployed=false
if [ "$rg_exists" = true ] && [ -n "$app" ]; then
  found="$(az functionapp list --resource-group "$rg" --subscription "$AZURE_SUBSCRIPTION_ID" \
    --query "[?name=='$app'].name" --output tsv 2>"$err")" || fail "listing the function apps of '$rg'"
  if [ -n "$found" ]; then
    found="$(az functionapp function list --resource-group "$rg" --name "$app" --subscription "$AZURE_SUBSCRIPTION_ID" \
      --query "[?name=='recordingState' || ends_with(name, '/recordingState')].name" --output tsv 2>"$err")" ||
      fail "listing the functions of '$app'"
    if [ -n "$found" ]; then code_deployed=true; fi
  fi
fi

# 2. WORM: "<version-level immutability enabled> <policy state>" of the WORM container, '' when it does not exist;
# and the policy state of the audit container ('' when it does not exist).
state=""
audit_state=""
if [ "$rg_exists" = true ] && [ -n "$account" ]; then
  found="$(az storage account list --resource-group "$rg" --subscription "$AZURE_SUBSCRIPTION_ID" \
    --query "[?name=='$account'].name" --output tsv 2>"$err")" || fail "listing the storage accounts of '$rg'"
  if [ -n "$found" ]; then
    found_audit="$(az storage container-rm list --storage-account "$account" --resource-group "$rg" \
      --subscription "$AZURE_SUBSCRIPTION_ID" --query "[?name=='$audit_container'].name" --output tsv 2>"$err")" ||
      fail "listing the containers of '$account'"
    if [ -n "$found_audit" ]; then
      audit_state="$(az storage container-rm show --storage-account "$account" --resource-group "$rg" \
        --name "$audit_container" --subscription "$AZURE_SUBSCRIPTION_ID" \
        --query "to_string(immutabilityPolicy.state || 'None')" --output tsv 2>"$err")" ||
        fail "reading the immutability of '$audit_container' in '$account'"
    fi
    found="$(az storage container-rm list --storage-account "$account" --resource-group "$rg" \
      --subscription "$AZURE_SUBSCRIPTION_ID" --query "[?name=='$worm_container'].name" --output tsv 2>"$err")" ||
      fail "listing the containers of '$account'"
    if [ -n "$found" ]; then
      state="$(az storage container-rm show --storage-account "$account" --resource-group "$rg" --name "$worm_container" \
        --subscription "$AZURE_SUBSCRIPTION_ID" \
        --query "join(' ', [to_string(immutableStorageWithVersioning.enabled || 'false'), to_string(immutabilityPolicy.state || 'None')])" \
        --output tsv 2>"$err")" || fail "reading the immutability of '$worm_container' in '$account'"
    fi
  fi
fi

if [ "$audit_state" = "Locked" ]; then
  audit_apply=false
  echo "preprovision: the immutability policy of the audit container '$audit_container' is locked: not deploying it again."
fi

if [ -z "$worm" ]; then
  case "$state" in
    true\ *)
      echo "preprovision: refusing: WORM is on for this environment ('$worm_container' exists with version-level immutability)," >&2
      echo "  but ARCHIVE_IMMUTABILITY_ENABLED is not set, so the provisioning could turn it off. Say so explicitly:" >&2
      echo "  azd env set ARCHIVE_IMMUTABILITY_ENABLED true --environment $AZURE_ENV_NAME" >&2
      exit 1
      ;;
  esac
  echo "preprovision: ARCHIVE_IMMUTABILITY_ENABLED is not set: azd asks for it next (enableImmutability)."
  echo "  true is recommended for production: without WORM the app's role can overwrite an archived chunk"
  echo "  (README \"WORM\"). Answering false keeps recordings in '$plain_container', unprotected."
elif [ "$worm" = "true" ]; then
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
      echo "  can only be extended: az storage container immutability-policy extend --subscription $AZURE_SUBSCRIPTION_ID"
      echo "  --account-name $account -c $worm_container ...)."
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

# 3. An existing system topic must have a system-assigned identity: main.bicep gives that identity its role on the
# dead-letter container (it reads identity.principalId, and without one the template fails with an expression error
# that does not say why). Same resource group rule as main.bicep: the topic's own, else the ACS resource's, else
# the environment's.
topic="${EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME:-}"
if [ -n "$topic" ]; then
  topic_rg="${EVENT_GRID_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP:-}"
  if [ -z "$topic_rg" ]; then
    if [ -n "${ACS_EXISTING_NAME:-}" ] && [ -n "${ACS_EXISTING_RESOURCE_GROUP:-}" ]; then
      topic_rg="$ACS_EXISTING_RESOURCE_GROUP"
    else
      topic_rg="rg-$AZURE_ENV_NAME"
    fi
  fi
  identity="$(az eventgrid system-topic show --name "$topic" --resource-group "$topic_rg" \
    --subscription "$AZURE_SUBSCRIPTION_ID" --query "identity.type" --output tsv 2>"$err")" ||
    fail "reading the Event Grid system topic '$topic' in '$topic_rg' (EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME)"
  case "$identity" in
    *SystemAssigned*) ;;
    *)
      echo "preprovision: refusing: the Event Grid system topic '$topic' (resource group '$topic_rg') has no system-assigned" >&2
      echo "  identity (identity: ${identity:-none}). Its identity writes undeliverable events to the dead-letter container," >&2
      echo "  and provisioning fails with a template error without it. Give it one, then run azd provision again:" >&2
      echo "  az eventgrid system-topic update --name $topic --resource-group $topic_rg --subscription $AZURE_SUBSCRIPTION_ID --identity systemassigned" >&2
      exit 1
      ;;
  esac
fi

set_env ARCHIVER_CODE_DEPLOYED "$code_deployed"
set_env ARCHIVE_IMMUTABILITY_POLICY_APPLY "$apply"
set_env AUDIT_IMMUTABILITY_POLICY_APPLY "$audit_apply"
