#!/usr/bin/env sh
# azd postdeploy hook: everything that needs the deployed code.
#   1. warm the app (a cold Flex Consumption app can fail Event Grid's endpoint validation) and wait until the
#      functions are indexed;
#   2. set RECORDING_STATE_CALLBACK_URL with the recordingState function's own key (infra/callback-url.bicep);
#   3. create or update the Event Grid subscriptions (infra/subscriptions.bicep; callEvents gets its own key), and
#      the app's role on an EXISTING Communication Services resource (main.bicep writes only into its own resource
#      group), retrying with backoff for up to 15 minutes.
# Deployment names carry the azd environment name, so two environments never overwrite each other's deployments,
# and re-running (`azd hooks run postdeploy`) updates in place. Keys are read and written inside Azure Resource
# Manager only: nothing here prints, stores or passes one. Every Azure CLI call names the subscription azd deployed
# to (AZURE_SUBSCRIPTION_ID), never the CLI's default one. Needs the Azure CLI, signed in (`az login`) to that
# subscription's tenant, and curl. Same logic as postdeploy.ps1.
set -eu

: "${AZURE_ENV_NAME:?not set: run through azd (azd deploy / azd up) or export the azd environment values}"
if [ -z "${AZURE_SUBSCRIPTION_ID:-}" ]; then
  echo "postdeploy: AZURE_SUBSCRIPTION_ID is not set in the azd environment '$AZURE_ENV_NAME'." >&2
  echo "  Every Azure CLI call here names the subscription azd deployed to, never the Azure CLI's default one." >&2
  echo "  Run through azd (azd deploy / azd up), or: azd env set AZURE_SUBSCRIPTION_ID <subscription id> --environment $AZURE_ENV_NAME" >&2
  exit 1
fi
: "${AZURE_RESOURCE_GROUP:?not set}"
: "${AZURE_FUNCTION_APP_NAME:?not set}"
: "${SERVICE_API_URI:?not set}"
: "${ARCHIVE_STORAGE_ACCOUNT_NAME:?not set}"
: "${DEAD_LETTER_CONTAINER:?not set}"
: "${EVENT_GRID_SYSTEM_TOPIC_NAME:?not set}"
: "${EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP:?not set}"
: "${ACS_ROLE_BY_POSTDEPLOY:?not set}"
: "${ACS_NAME:?not set}"
: "${ACS_RESOURCE_GROUP:?not set}"
: "${AZURE_FUNCTION_PRINCIPAL_ID:?not set}"

infra="$(cd "$(dirname "$0")/.." && pwd)"
# The last error of a step that is retried, shown when the step gives up.
last_error="$(mktemp)"
trap 'rm -f "$last_error"' EXIT

# The Azure CLI can use the subscription azd deployed to (azd and the Azure CLI sign in separately): without this,
# every step below would only wait and give up.
if ! az account show --subscription "$AZURE_SUBSCRIPTION_ID" --query id --output tsv >/dev/null 2>"$last_error"; then
  echo "postdeploy: the Azure CLI cannot use subscription $AZURE_SUBSCRIPTION_ID, the one azd deployed to:" >&2
  sed 's/^/  /' "$last_error" >&2
  echo "  azd and the Azure CLI sign in separately: az login --tenant ${AZURE_TENANT_ID:-<tenant id of the subscription>}," >&2
  echo "  then azd hooks run postdeploy." >&2
  exit 1
fi
# Deployment names: at most 64 characters of letters, digits and - _ . ( )
env_suffix="$(printf '%s' "$AZURE_ENV_NAME" | tr -c 'A-Za-z0-9_.()-' '-' | cut -c1-40)"

# retry BUDGET_SECONDS WHAT COMMAND...: runs COMMAND until it succeeds, waiting 5 s, 10 s, 20 s, 40 s, then 60 s
# between attempts, for at most BUDGET_SECONDS.
retry() {
  budget="$1"
  what="$2"
  shift 2
  started="$(date +%s)"
  delay=5
  attempt=1
  : >"$last_error"
  while ! "$@"; do
    elapsed=$(($(date +%s) - started))
    if [ "$elapsed" -ge "$budget" ]; then
      echo "postdeploy: $what: still failing after $attempt attempts (${elapsed} s)" >&2
      if [ -s "$last_error" ]; then
        echo "  last error:" >&2
        sed 's/^/  /' "$last_error" >&2
      fi
      return 1
    fi
    echo "postdeploy: $what: attempt $attempt failed, retrying in ${delay} s..."
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2))
    if [ "$delay" -gt 60 ]; then delay=60; fi
  done
}

# Any HTTP answer from the app (even 401/404) means an instance is up; 5xx and timeouts mean it is not yet.
app_answers() {
  status="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 30 "$SERVICE_API_URI/" || true)"
  case "$status" in
    2?? | 3?? | 401 | 403 | 404) return 0 ;;
    *) return 1 ;;
  esac
}

functions_indexed() {
  for function_name in archiveRecording archiveChunk callEvents callAutomationEvents recordingState; do
    az functionapp function show --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
      --function-name "$function_name" --subscription "$AZURE_SUBSCRIPTION_ID" --query name --output tsv \
      >/dev/null 2>"$last_error" || return 1
  done
}

deploy_callback_url() {
  az deployment group create \
    --subscription "$AZURE_SUBSCRIPTION_ID" \
    --name "cra-callback-url-$env_suffix" \
    --resource-group "$AZURE_RESOURCE_GROUP" \
    --template-file "$infra/callback-url.bicep" \
    --parameters \
    functionAppName="$AZURE_FUNCTION_APP_NAME" \
    --output none
}

deploy_subscriptions() {
  az deployment group create \
    --subscription "$AZURE_SUBSCRIPTION_ID" \
    --name "cra-event-subscriptions-$env_suffix" \
    --resource-group "$EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP" \
    --template-file "$infra/subscriptions.bicep" \
    --parameters \
    environmentName="$AZURE_ENV_NAME" \
    systemTopicName="$EVENT_GRID_SYSTEM_TOPIC_NAME" \
    functionAppName="$AZURE_FUNCTION_APP_NAME" \
    functionAppResourceGroup="$AZURE_RESOURCE_GROUP" \
    deadLetterStorageAccountName="$ARCHIVE_STORAGE_ACCOUNT_NAME" \
    deadLetterStorageResourceGroup="$AZURE_RESOURCE_GROUP" \
    deadLetterContainerName="$DEAD_LETTER_CONTAINER" \
    grantAcsAccess="$ACS_ROLE_BY_POSTDEPLOY" \
    communicationServiceName="$ACS_NAME" \
    communicationServiceResourceGroup="$ACS_RESOURCE_GROUP" \
    appPrincipalId="$AZURE_FUNCTION_PRINCIPAL_ID" \
    --output none
}

retry 300 "waiting for $SERVICE_API_URI to answer" app_answers
retry 600 "waiting for the functions to be indexed" functions_indexed

retry 300 "setting RECORDING_STATE_CALLBACK_URL (recordingState's own key)" deploy_callback_url
# Later `azd provision` runs carry this URL over (main.bicep reads it back from the app settings once preprovision
# finds the code deployed, which it checks every time).
azd env set ARCHIVER_CODE_DEPLOYED true --environment "$AZURE_ENV_NAME" >/dev/null
# Changing a setting restarts the app: warm it again before Event Grid validates the endpoints.
retry 300 "waiting for $SERVICE_API_URI to answer after the settings change" app_answers

retry 900 "creating the Event Grid subscriptions" deploy_subscriptions

echo "postdeploy: Event Grid subscriptions of environment '$AZURE_ENV_NAME' are in place on $EVENT_GRID_SYSTEM_TOPIC_NAME," \
  "and RECORDING_STATE_CALLBACK_URL is set."
