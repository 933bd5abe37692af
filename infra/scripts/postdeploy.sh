#!/usr/bin/env sh
# azd postdeploy hook: creates or updates the Event Grid subscriptions (infra/subscriptions.bicep) once the code is
# deployed, because creating a subscription validates its endpoint; and, for an existing Communication Services
# resource, the app's role on it (main.bicep writes only into its own resource group). Idempotent: the same deployment
# name and the same subscription names every time, so a re-run updates in place. Needs the Azure CLI, signed in (`az
# login`). Values come from the azd environment (outputs of infra/main.bicep); run by hand with `azd env get-values`
# exported.
set -eu

: "${AZURE_RESOURCE_GROUP:?not set: run through azd (azd deploy) or export the azd environment values}"
: "${AZURE_FUNCTION_APP_NAME:?not set}"
: "${ARCHIVE_STORAGE_ACCOUNT_NAME:?not set}"
: "${DEAD_LETTER_CONTAINER:?not set}"
: "${EVENT_GRID_SYSTEM_TOPIC_NAME:?not set}"
: "${EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP:?not set}"
: "${ACS_ROLE_BY_POSTDEPLOY:?not set}"
: "${ACS_NAME:?not set}"
: "${ACS_RESOURCE_GROUP:?not set}"
: "${AZURE_FUNCTION_PRINCIPAL_ID:?not set}"

template="$(cd "$(dirname "$0")/.." && pwd)/subscriptions.bicep"

# The functions are indexed a little after the package lands; the AzureFunction endpoint needs archiveRecording.
attempt=1
until az functionapp function show --resource-group "$AZURE_RESOURCE_GROUP" --name "$AZURE_FUNCTION_APP_NAME" \
  --function-name archiveRecording --query name --output tsv >/dev/null 2>&1; do
  if [ "$attempt" -ge 20 ]; then
    echo "postdeploy: function archiveRecording not found on $AZURE_FUNCTION_APP_NAME after $attempt checks;" \
      "check the deployment (azd deploy) and re-run this script" >&2
    exit 1
  fi
  echo "postdeploy: waiting for the functions to be indexed ($attempt)..."
  attempt=$((attempt + 1))
  sleep 15
done

attempt=1
until az deployment group create \
  --name call-recording-archiver-event-subscriptions \
  --resource-group "$EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP" \
  --template-file "$template" \
  --parameters \
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
  --output none; do
  # Endpoint validation can fail while a fresh deployment is still warming up.
  if [ "$attempt" -ge 3 ]; then
    echo "postdeploy: could not create the Event Grid subscriptions; see the error above, then re-run $0" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  echo "postdeploy: retrying in 30 s (attempt $attempt)..."
  sleep 30
done

echo "postdeploy: Event Grid subscriptions archive-recording-files and call-events are in place on $EVENT_GRID_SYSTEM_TOPIC_NAME"
