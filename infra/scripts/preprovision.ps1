#!/usr/bin/env pwsh
# azd preprovision hook (Windows). Same logic as preprovision.sh: sets ARCHIVER_CODE_DEPLOYED (RECORDING_STATE_CALLBACK_URL
# can carry the recordingState key) and ARCHIVE_IMMUTABILITY_POLICY_APPLY (false once the WORM policy is locked: a
# locked policy refuses every update except extending it), and refuses the WORM changes that would silently weaken
# the archive. Needs the Azure CLI, signed in (`az login`).
$ErrorActionPreference = 'Stop'

if (-not $env:AZURE_ENV_NAME) { throw 'preprovision: AZURE_ENV_NAME is not set: run through azd (azd provision / azd up)' }

function Set-AzdValue([string] $Name, [string] $Value) {
  azd env set $Name $Value --environment $env:AZURE_ENV_NAME | Out-Null
}

$rg = $env:AZURE_RESOURCE_GROUP
$app = $env:AZURE_FUNCTION_APP_NAME
$account = $env:ARCHIVE_STORAGE_ACCOUNT_NAME
$plainContainer = if ($env:ARCHIVE_PLAIN_CONTAINER) { $env:ARCHIVE_PLAIN_CONTAINER } else { 'recordings' }
# app/archive-storage.bicep: immutableArchiveContainerName = '<plain>-worm'
$wormContainer = "$plainContainer-worm"
$worm = ($env:ARCHIVE_IMMUTABILITY_ENABLED -eq 'true')
$apply = if ($env:ARCHIVE_IMMUTABILITY_POLICY_APPLY) { $env:ARCHIVE_IMMUTABILITY_POLICY_APPLY } else { 'true' }

# 1. Is the code deployed?
$codeDeployed = 'false'
if ($rg -and $app) {
  az functionapp function show --resource-group $rg --name $app --function-name recordingState `
    --query name --output tsv *> $null
  if ($LASTEXITCODE -eq 0) { $codeDeployed = 'true' }
}
Set-AzdValue 'ARCHIVER_CODE_DEPLOYED' $codeDeployed

# 2. WORM: "<version-level immutability enabled> <policy state>" of the WORM container, '' when it does not exist.
$state = ''
if ($rg -and $account) {
  az storage account show --resource-group $rg --name $account --query name --output tsv *> $null
  if ($LASTEXITCODE -eq 0) {
    $state = az storage container-rm show --storage-account $account --resource-group $rg --name $wormContainer `
      --query "join(' ', [to_string(immutableStorageWithVersioning.enabled || 'false'), to_string(immutabilityPolicy.state || 'None')])" `
      --output tsv 2> $null
    if ($LASTEXITCODE -ne 0 -or -not $state) { $state = '' }
  }
}

if ($worm) {
  if ($state -eq '') {
    Write-Host "preprovision: WORM on: recordings are archived into the container '$wormContainer', created with version-level"
    Write-Host "  immutability (it can only be set when a container is created). Anything already archived in '$plainContainer'"
    Write-Host '  stays there, NOT protected. Let pending recordings finish first (npx call-recording-archiver status).'
  } elseif ($state -like 'false *') {
    throw ("preprovision: refusing: the container '$wormContainer' exists in '$account' WITHOUT version-level immutability, " +
      'which cannot be added to an existing container (a container policy there would refuse manifest updates). ' +
      'Move its blobs away and delete it, then run azd provision again.')
  } elseif ($state -like '* Locked') {
    $apply = 'false'
    Write-Host "preprovision: the immutability policy of '$wormContainer' is locked: not deploying it again (a locked policy"
    Write-Host "  can only be extended: az storage container immutability-policy extend --account-name $account -c $wormContainer ...)."
  }
} elseif ($state -like 'true *') {
  if ($env:ARCHIVE_IMMUTABILITY_ALLOW_DISABLE -ne 'true') {
    throw ("preprovision: refusing: WORM is on for this environment ('$wormContainer' exists with version-level immutability). " +
      "Turning ARCHIVE_IMMUTABILITY_ENABLED off would archive new recordings into '$plainContainer', unprotected. " +
      'Set ARCHIVE_IMMUTABILITY_ENABLED=true again, or ARCHIVE_IMMUTABILITY_ALLOW_DISABLE=true if that is intended.')
  }
  Write-Host "preprovision: WORM off (ARCHIVE_IMMUTABILITY_ALLOW_DISABLE): new recordings go to '$plainContainer', unprotected."
}
Set-AzdValue 'ARCHIVE_IMMUTABILITY_POLICY_APPLY' $apply
