#!/usr/bin/env pwsh
# azd postdeploy hook (Windows): everything that needs the deployed code. Same logic as postdeploy.sh:
#   1. warm the app (a cold Flex Consumption app can fail Event Grid's endpoint validation) and wait until the
#      functions are indexed;
#   2. set RECORDING_STATE_CALLBACK_URL with the recordingState function's own key (infra/callback-url.bicep);
#   3. create or update the Event Grid subscriptions (infra/subscriptions.bicep; callEvents gets its own key), and
#      the app's role on an EXISTING Communication Services resource, retrying with backoff for up to 15 minutes.
# Deployment names carry the azd environment name. Keys are read and written inside Azure Resource Manager only.
# Every Azure CLI call names the subscription azd deployed to (AZURE_SUBSCRIPTION_ID), never the CLI's default one.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_ENV_NAME', 'AZURE_SUBSCRIPTION_ID', 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME',
  'SERVICE_API_URI', 'ARCHIVE_STORAGE_ACCOUNT_NAME', 'DEAD_LETTER_CONTAINER', 'EVENT_GRID_SYSTEM_TOPIC_NAME',
  'EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP', 'ACS_ROLE_BY_POSTDEPLOY', 'ACS_NAME', 'ACS_RESOURCE_GROUP',
  'AZURE_FUNCTION_PRINCIPAL_ID') {
  if (-not [Environment]::GetEnvironmentVariable($name)) {
    throw "postdeploy: $name is not set: run through azd (azd deploy / azd up) or set the azd environment values"
  }
}
$sub = $env:AZURE_SUBSCRIPTION_ID

$infra = Split-Path $PSScriptRoot -Parent
# The last error of a step that is retried, shown when the step gives up.
$lastError = (New-TemporaryFile).FullName

# The Azure CLI can use the subscription azd deployed to (azd and the Azure CLI sign in separately): without this,
# every step below would only wait and give up.
az account show --subscription $sub --query id --output tsv 2> $lastError | Out-Null
if ($LASTEXITCODE -ne 0) {
  $detail = (Get-Content -Raw -LiteralPath $lastError) -replace '\s+$', ''
  $tenant = if ($env:AZURE_TENANT_ID) { $env:AZURE_TENANT_ID } else { '<tenant id of the subscription>' }
  throw ("postdeploy: the Azure CLI cannot use subscription $sub, the one azd deployed to: $detail`n  azd and the " +
    "Azure CLI sign in separately: az login --tenant $tenant, then azd hooks run postdeploy.")
}
# Deployment names: at most 64 characters of letters, digits and - _ . ( )
$envSuffix = ($env:AZURE_ENV_NAME -replace '[^A-Za-z0-9_.()-]', '-')
if ($envSuffix.Length -gt 40) { $envSuffix = $envSuffix.Substring(0, 40) }

# Runs $Action until it returns $true, waiting 5 s, 10 s, 20 s, 40 s, then 60 s between attempts, for at most
# $BudgetSeconds.
function Invoke-WithRetry([int] $BudgetSeconds, [string] $What, [scriptblock] $Action) {
  $started = Get-Date
  $delay = 5
  $attempt = 1
  Set-Content -LiteralPath $lastError -Value ''
  while (-not (& $Action)) {
    $elapsed = [int]((Get-Date) - $started).TotalSeconds
    if ($elapsed -ge $BudgetSeconds) {
      $detail = (Get-Content -Raw -LiteralPath $lastError) -replace '\s+$', ''
      if ($detail) { $detail = " (last error: $detail)" }
      throw "postdeploy: ${What}: still failing after $attempt attempts ($elapsed s)$detail"
    }
    Write-Host "postdeploy: ${What}: attempt $attempt failed, retrying in $delay s..."
    Start-Sleep -Seconds $delay
    $attempt++
    $delay = [Math]::Min($delay * 2, 60)
  }
}

# Any HTTP answer from the app (even 401/404) means an instance is up; 5xx and timeouts mean it is not yet.
function Test-AppAnswers {
  try {
    $response = Invoke-WebRequest -Uri "$($env:SERVICE_API_URI)/" -Method Get -TimeoutSec 30 -SkipHttpErrorCheck
    $status = [int]$response.StatusCode
    return ($status -lt 500)
  } catch {
    return $false
  }
}

function Test-FunctionsIndexed {
  foreach ($functionName in 'archiveRecording', 'archiveChunk', 'callEvents', 'callAutomationEvents', 'recordingState') {
    az functionapp function show --resource-group $env:AZURE_RESOURCE_GROUP --name $env:AZURE_FUNCTION_APP_NAME `
      --function-name $functionName --subscription $sub --query name --output tsv 2> $lastError | Out-Null
    if ($LASTEXITCODE -ne 0) { return $false }
  }
  return $true
}

function Set-CallbackUrl {
  az deployment group create `
    --subscription $sub `
    --name "cra-callback-url-$envSuffix" `
    --resource-group $env:AZURE_RESOURCE_GROUP `
    --template-file (Join-Path $infra 'callback-url.bicep') `
    --parameters `
    "functionAppName=$($env:AZURE_FUNCTION_APP_NAME)" `
    --output none
  return ($LASTEXITCODE -eq 0)
}

function Set-EventSubscriptions {
  az deployment group create `
    --subscription $sub `
    --name "cra-event-subscriptions-$envSuffix" `
    --resource-group $env:EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP `
    --template-file (Join-Path $infra 'subscriptions.bicep') `
    --parameters `
    "environmentName=$($env:AZURE_ENV_NAME)" `
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
  return ($LASTEXITCODE -eq 0)
}

Invoke-WithRetry 300 "waiting for $($env:SERVICE_API_URI) to answer" { Test-AppAnswers }
Invoke-WithRetry 600 'waiting for the functions to be indexed' { Test-FunctionsIndexed }

Invoke-WithRetry 300 "setting RECORDING_STATE_CALLBACK_URL (recordingState's own key)" { Set-CallbackUrl }
# Later `azd provision` runs carry this URL over (main.bicep reads it back from the app settings once preprovision
# finds the code deployed, which it checks every time).
azd env set ARCHIVER_CODE_DEPLOYED true --environment $env:AZURE_ENV_NAME | Out-Null
# Changing a setting restarts the app: warm it again before Event Grid validates the endpoints.
Invoke-WithRetry 300 "waiting for $($env:SERVICE_API_URI) to answer after the settings change" { Test-AppAnswers }

Invoke-WithRetry 900 'creating the Event Grid subscriptions' { Set-EventSubscriptions }

Write-Host "postdeploy: Event Grid subscriptions of environment '$($env:AZURE_ENV_NAME)' are in place on $($env:EVENT_GRID_SYSTEM_TOPIC_NAME), and RECORDING_STATE_CALLBACK_URL is set."
