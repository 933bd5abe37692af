#!/usr/bin/env pwsh
# azd postdeploy hook (Windows): creates or updates the Event Grid subscriptions (infra/subscriptions.bicep) once the
# code is deployed, because creating a subscription validates its endpoint; and, for an existing Communication
# Services resource, the app's role on it (main.bicep writes only into its own resource group). Idempotent: the same
# deployment name and the same subscription names every time. Needs the Azure CLI, signed in (`az login`). Same logic
# as postdeploy.sh.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'ARCHIVE_STORAGE_ACCOUNT_NAME',
  'DEAD_LETTER_CONTAINER', 'EVENT_GRID_SYSTEM_TOPIC_NAME', 'EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP',
  'ACS_ROLE_BY_POSTDEPLOY', 'ACS_NAME', 'ACS_RESOURCE_GROUP', 'AZURE_FUNCTION_PRINCIPAL_ID') {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    throw "postdeploy: $name is not set: run through azd (azd deploy) or set the azd environment values"
  }
}

$template = Join-Path (Split-Path $PSScriptRoot -Parent) 'subscriptions.bicep'

# The functions are indexed a little after the package lands; the AzureFunction endpoint needs archiveRecording.
$attempt = 1
while ($true) {
  az functionapp function show --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME `
    --function-name archiveRecording --query name --output tsv *> $null
  if ($LASTEXITCODE -eq 0) { break }
  if ($attempt -ge 20) {
    throw "postdeploy: function archiveRecording not found on $($env:AZURE_FUNCTION_APP_NAME); check azd deploy and re-run"
  }
  Write-Host "postdeploy: waiting for the functions to be indexed ($attempt)..."
  $attempt++
  Start-Sleep -Seconds 15
}

$attempt = 1
while ($true) {
  az deployment group create `
    --name call-recording-archiver-event-subscriptions `
    --resource-group $env:EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP `
    --template-file $template `
    --parameters `
    "systemTopicName=$($env:EVENT_GRID_SYSTEM_TOPIC_NAME)" `
    "functionAppName=$($env:AZURE_FUNCTION_APP_NAME)" `
    "functionAppResourceGroup=$($env:AZURE_RESOURCE_GROUP)" `
    "deadLetterStorageAccountName=$($env:ARCHIVE_STORAGE_ACCOUNT_NAME)" `
    "deadLetterStorageResourceGroup=$($env:AZURE_RESOURCE_GROUP)" `
    "deadLetterContainerName=$($env:DEAD_LETTER_CONTAINER)" `
    "grantAcsAccess=$($env:ACS_ROLE_BY_POSTDEPLOY)" `
    "communicationServiceName=$($env:ACS_NAME)" `
    "communicationServiceResourceGroup=$($env:ACS_RESOURCE_GROUP)" `
    "appPrincipalId=$($env:AZURE_FUNCTION_PRINCIPAL_ID)" `
    --output none
  if ($LASTEXITCODE -eq 0) { break }
  # Endpoint validation can fail while a fresh deployment is still warming up.
  if ($attempt -ge 3) { throw 'postdeploy: could not create the Event Grid subscriptions; see the error above, then re-run' }
  $attempt++
  Write-Host "postdeploy: retrying in 30 s (attempt $attempt)..."
  Start-Sleep -Seconds 30
}

Write-Host "postdeploy: Event Grid subscriptions archive-recording-files and call-events are in place on $($env:EVENT_GRID_SYSTEM_TOPIC_NAME)"
