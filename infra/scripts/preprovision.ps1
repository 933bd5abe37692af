#!/usr/bin/env pwsh
# azd preprovision hook (Windows). Same logic as preprovision.sh: sets ARCHIVER_CODE_DEPLOYED (the provisioning then
# carries the current RECORDING_STATE_CALLBACK_URL over), ARCHIVE_IMMUTABILITY_POLICY_APPLY and
# AUDIT_IMMUTABILITY_POLICY_APPLY (false once the WORM or audit policy is locked: a locked policy refuses every update
# except extending it); refuses the WORM changes that would silently weaken the archive, and an existing Event Grid
# system topic without a system-assigned identity. ARCHIVE_IMMUTABILITY_ENABLED has no default: azd asks for it on a
# new environment and keeps the answer in its config (infra.parameters.enableImmutability), read here.
# Every Azure CLI call names the subscription azd deploys to (AZURE_SUBSCRIPTION_ID), and a call that fails stops the
# provisioning with its message: a failure is never read as "nothing there". Needs the Azure CLI, signed in.
$ErrorActionPreference = 'Stop'

if (-not $env:AZURE_ENV_NAME) { throw 'preprovision: AZURE_ENV_NAME is not set: run through azd (azd provision / azd up)' }
if (-not $env:AZURE_SUBSCRIPTION_ID) {
  throw ("preprovision: AZURE_SUBSCRIPTION_ID is not set in the azd environment '$($env:AZURE_ENV_NAME)'. Every Azure " +
    "CLI call here names the subscription azd deploys to, never the Azure CLI's default one. Run 'azd up' (it asks " +
    'for the subscription before provisioning), or set it first: azd env set AZURE_SUBSCRIPTION_ID <subscription id> ' +
    "--environment $($env:AZURE_ENV_NAME)")
}
$sub = $env:AZURE_SUBSCRIPTION_ID
$errFile = (New-TemporaryFile).FullName

# The az call just made: stop with what it was for and what az said when it failed.
function Assert-AzSucceeded([string] $What) {
  if ($LASTEXITCODE -ne 0) {
    $detail = (Get-Content -Raw -LiteralPath $errFile) -replace '\s+$', ''
    throw ("preprovision: $What failed in subscription ${sub}: $detail`n  Nothing was changed. Fix the cause (az login, " +
      'your access to the subscription, the network) and run azd provision again.')
  }
}

function Set-AzdValue([string] $Name, [string] $Value) {
  azd env set $Name $Value --environment $env:AZURE_ENV_NAME | Out-Null
  if ($LASTEXITCODE -ne 0) { throw "preprovision: azd env set $Name failed" }
}

try {
  # 0. The Azure CLI can use the subscription azd deploys to (azd and the Azure CLI sign in separately).
  az account show --subscription $sub --query id --output tsv 2> $errFile | Out-Null
  if ($LASTEXITCODE -ne 0) {
    $detail = (Get-Content -Raw -LiteralPath $errFile) -replace '\s+$', ''
    $tenant = if ($env:AZURE_TENANT_ID) { $env:AZURE_TENANT_ID } else { '<tenant id of the subscription>' }
    throw ("preprovision: the Azure CLI cannot use subscription $sub, the one azd deploys to: $detail`n  azd and the " +
      "Azure CLI sign in separately: az login --tenant $tenant")
  }

  $rg = $env:AZURE_RESOURCE_GROUP
  $app = $env:AZURE_FUNCTION_APP_NAME
  $account = $env:ARCHIVE_STORAGE_ACCOUNT_NAME
  $plainContainer = if ($env:ARCHIVE_PLAIN_CONTAINER) { $env:ARCHIVE_PLAIN_CONTAINER } else { 'recordings' }
  # app/archive-storage.bicep: immutableArchiveContainerName = '<plain>-worm'
  $wormContainer = "$plainContainer-worm"
  $auditContainer = if ($env:AUDIT_CONTAINER) { $env:AUDIT_CONTAINER } else { 'recording-audit' }
  $apply = if ($env:ARCHIVE_IMMUTABILITY_POLICY_APPLY) { $env:ARCHIVE_IMMUTABILITY_POLICY_APPLY } else { 'true' }
  $auditApply = if ($env:AUDIT_IMMUTABILITY_POLICY_APPLY) { $env:AUDIT_IMMUTABILITY_POLICY_APPLY } else { 'true' }
  # WORM on or off: the environment value, else the answer azd kept when it asked; '' (unknown) is never "off".
  $wormSetting = "$($env:ARCHIVE_IMMUTABILITY_ENABLED)".Trim()
  if (-not $wormSetting) {
    $stored = azd env config get infra.parameters.enableImmutability --environment $env:AZURE_ENV_NAME 2> $null
    $wormSetting = if ($LASTEXITCODE -eq 0) { ("$stored" -replace '["\s]', '') } else { '' }
  }
  $worm = ($wormSetting -eq 'true')

  # Values of an earlier provisioning: absent on the first one, stale after `azd down` (the group is gone then).
  $rgExists = $false
  if ($rg) {
    $answer = az group exists --name $rg --subscription $sub --output tsv 2> $errFile
    Assert-AzSucceeded "checking the resource group '$rg'"
    $rgExists = ("$answer".Trim() -eq 'true')
  }

  # 1. Is the code deployed? (the app exists and has its recordingState function)
  $codeDeployed = 'false'
  if ($rgExists -and $app) {
    $found = az functionapp list --resource-group $rg --subscription $sub --query "[?name=='$app'].name" --output tsv 2> $errFile
    Assert-AzSucceeded "listing the function apps of '$rg'"
    if ("$found".Trim()) {
      $found = az functionapp function list --resource-group $rg --name $app --subscription $sub `
        --query "[?name=='recordingState' || ends_with(name, '/recordingState')].name" --output tsv 2> $errFile
      Assert-AzSucceeded "listing the functions of '$app'"
      if ("$found".Trim()) { $codeDeployed = 'true' }
    }
  }

  # 2. WORM: "<version-level immutability enabled> <policy state>" of the WORM container, '' when it does not exist.
  $state = ''
  $auditState = ''
  if ($rgExists -and $account) {
    $found = az storage account list --resource-group $rg --subscription $sub --query "[?name=='$account'].name" --output tsv 2> $errFile
    Assert-AzSucceeded "listing the storage accounts of '$rg'"
    if ("$found".Trim()) {
      $foundAudit = az storage container-rm list --storage-account $account --resource-group $rg --subscription $sub `
        --query "[?name=='$auditContainer'].name" --output tsv 2> $errFile
      Assert-AzSucceeded "listing the containers of '$account'"
      if ("$foundAudit".Trim()) {
        $auditState = az storage container-rm show --storage-account $account --resource-group $rg --name $auditContainer `
          --subscription $sub --query "to_string(immutabilityPolicy.state || 'None')" --output tsv 2> $errFile
        Assert-AzSucceeded "reading the immutability of '$auditContainer' in '$account'"
        $auditState = "$auditState".Trim()
      }
      $found = az storage container-rm list --storage-account $account --resource-group $rg --subscription $sub `
        --query "[?name=='$wormContainer'].name" --output tsv 2> $errFile
      Assert-AzSucceeded "listing the containers of '$account'"
      if ("$found".Trim()) {
        $state = az storage container-rm show --storage-account $account --resource-group $rg --name $wormContainer `
          --subscription $sub `
          --query "join(' ', [to_string(immutableStorageWithVersioning.enabled || 'false'), to_string(immutabilityPolicy.state || 'None')])" `
          --output tsv 2> $errFile
        Assert-AzSucceeded "reading the immutability of '$wormContainer' in '$account'"
        $state = "$state".Trim()
      }
    }
  }

  if ($auditState -eq 'Locked') {
    $auditApply = 'false'
    Write-Host "preprovision: the immutability policy of the audit container '$auditContainer' is locked: not deploying it again."
  }

  if (-not $wormSetting) {
    if ($state -like 'true *') {
      throw ("preprovision: refusing: WORM is on for this environment ('$wormContainer' exists with version-level immutability), " +
        'but ARCHIVE_IMMUTABILITY_ENABLED is not set, so the provisioning could turn it off. Say so explicitly: ' +
        "azd env set ARCHIVE_IMMUTABILITY_ENABLED true --environment $($env:AZURE_ENV_NAME)")
    }
    Write-Host 'preprovision: ARCHIVE_IMMUTABILITY_ENABLED is not set: azd asks for it next (enableImmutability).'
    Write-Host '  true is recommended for production: without WORM the app''s role can overwrite an archived chunk'
    Write-Host "  (README `"WORM`"). Answering false keeps recordings in '$plainContainer', unprotected."
  } elseif ($worm) {
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
      Write-Host "  can only be extended: az storage container immutability-policy extend --subscription $sub"
      Write-Host "  --account-name $account -c $wormContainer ...)."
    }
  } elseif ($state -like 'true *') {
    if ($env:ARCHIVE_IMMUTABILITY_ALLOW_DISABLE -ne 'true') {
      throw ("preprovision: refusing: WORM is on for this environment ('$wormContainer' exists with version-level immutability). " +
        "Turning ARCHIVE_IMMUTABILITY_ENABLED off would archive new recordings into '$plainContainer', unprotected. " +
        'Set ARCHIVE_IMMUTABILITY_ENABLED=true again, or ARCHIVE_IMMUTABILITY_ALLOW_DISABLE=true if that is intended.')
    }
    Write-Host "preprovision: WORM off (ARCHIVE_IMMUTABILITY_ALLOW_DISABLE): new recordings go to '$plainContainer', unprotected."
  }

  # 3. An existing system topic must have a system-assigned identity (main.bicep reads identity.principalId; without
  # one the template fails with an expression error that does not say why). Same resource group rule as main.bicep.
  $topic = $env:EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME
  if ($topic) {
    $topicRg = $env:EVENT_GRID_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP
    if (-not $topicRg) {
      $topicRg = if ($env:ACS_EXISTING_NAME -and $env:ACS_EXISTING_RESOURCE_GROUP) { $env:ACS_EXISTING_RESOURCE_GROUP } else { "rg-$($env:AZURE_ENV_NAME)" }
    }
    $identity = az eventgrid system-topic show --name $topic --resource-group $topicRg --subscription $sub `
      --query 'identity.type' --output tsv 2> $errFile
    Assert-AzSucceeded "reading the Event Grid system topic '$topic' in '$topicRg' (EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME)"
    $identity = "$identity".Trim()
    if ($identity -notlike '*SystemAssigned*') {
      $shown = if ($identity) { $identity } else { 'none' }
      throw ("preprovision: refusing: the Event Grid system topic '$topic' (resource group '$topicRg') has no system-assigned " +
        "identity (identity: $shown). Its identity writes undeliverable events to the dead-letter container, and " +
        'provisioning fails with a template error without it. Give it one, then run azd provision again: ' +
        "az eventgrid system-topic update --name $topic --resource-group $topicRg --subscription $sub --identity systemassigned")
    }
  }

  Set-AzdValue 'ARCHIVER_CODE_DEPLOYED' $codeDeployed
  Set-AzdValue 'ARCHIVE_IMMUTABILITY_POLICY_APPLY' $apply
  Set-AzdValue 'AUDIT_IMMUTABILITY_POLICY_APPLY' $auditApply
} finally {
  Remove-Item -LiteralPath $errFile -ErrorAction SilentlyContinue
}
