// The function app on Flex Consumption (Linux, Node 22) with its runtime storage account, and every app setting.
// Keyless throughout: the host reaches its storage, Application Insights, ACS and the archive with the user-assigned
// identity; no connection string with a key and no access key is ever set.

param name string
param location string
param tags object = {}

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the storage account the Functions host and the deployment package use.')
param runtimeStorageAccountName string

@description('Name of the blob container holding the deployment package (Flex Consumption "one deploy").')
param deploymentContainerName string

@description('Name of the user-assigned identity the app runs as.')
param identityName string

param applicationInsightsName string

// Flex Consumption scales per function: the HTTP functions scale together as one group, and every other function
// (archiveChunk, the queue trigger) scales on its own instances
// (https://learn.microsoft.com/azure/azure-functions/flex-consumption-plan#per-function-scaling). The maximum instance
// count applies to the app; a burst of queued chunks can take archiveChunk up to it. 40, because:
// - throughput: one instance runs batchSize + newBatchThreshold copies at once (host.json, extensions.queues);
//   even a single instance streaming 50 MB/s moves ~4 TB a day, far more than ACS recording produces in the 24 h its
//   files live, so more instances only shorten the latency of a burst; 40 already copies a burst of hundreds of
//   chunks in parallel;
// - cost and blast radius: every instance is billed while it runs; a poison storm (a wrong role, a refused host)
//   cannot fan out beyond 40;
// - the regional Flex memory quota (512,000 MB per subscription and region, shared with every other Flex app):
//   40 x 2048 MB is 16% of it;
// - the ACS and Storage request limits: 40 instances x a few copies x ARCHIVE_BLOCKS_IN_FLIGHT (4) is a few hundred
//   concurrent block uploads, well inside a Standard account's limits.
// 40 is also the lowest value the Flex plan accepted when this template was written (the minValue below). Raise it
// when the workbook shows queued chunks waiting (ArchiveAcknowledged -> ChunkArchived latency) and the quota allows.
@minValue(40)
@maxValue(1000)
@description('Upper bound of instances the app scales out to (per-function scale groups share it).')
param maximumInstanceCount int = 40

@minValue(0)
@maxValue(20)
@description('Always-ready instances for archiveChunk (billed while idle). 0: it scales from zero when chunks are queued.')
param archiveChunkAlwaysReady int = 0

@allowed([512, 2048, 4096])
@description('Memory per instance. A chunk copy holds ARCHIVE_BLOCK_SIZE_MIB x ARCHIVE_BLOCKS_IN_FLIGHT in memory.')
param instanceMemoryMB int = 2048

// Settings of the app (docs/settings.md, shared/config/) --------------------------------------------------------

@description('ACS endpoint, https://NAME.communication.azure.com/ (ACS_ENDPOINT).')
param acsEndpoint string

@allowed(['calling', 'conversations'])
param acsRecordingApi string = 'calling'

@description('Extra allowed download hosts, comma separated (ACS_DOWNLOAD_HOSTS); empty for the built-in list.')
param acsDownloadHosts string = ''

@description('Blob endpoint of the archive account (ARCHIVE_STORAGE_URL).')
param archiveStorageUrl string

param archiveContainerName string
param controlContainerName string

@minValue(1)
param recordingRetentionHours int = 24

@minValue(0)
param deadlineWarningHours int = 6

param deleteSourceAfterArchive bool = false

@allowed(['audio', 'audioVideo'])
param recordingContentType string = 'audioVideo'

@allowed(['mixed', 'unmixed'])
param recordingChannelType string = 'mixed'

@allowed(['wav', 'mp3', 'mp4'])
param recordingFormatType string = 'mp4'

param recordingPauseOnStart bool = false

@description('Bring your own storage: the container URL GA starts ask ACS to record into; empty: off.')
param recordingExternalStorageUrl string = ''

@description('The audit container (AUDIT_CONTAINER): the archive console writes its access records there.')
param auditContainerName string = 'recording-audit'

@description('ARM id of the Communication Services resource: events from any other topic are refused (ACS_RESOURCE_ID).')
param acsResourceId string

@description('The resource\'s immutableResourceId: the audience of Call Automation callback JWTs (ACS_IMMUTABLE_RESOURCE_ID).')
param acsImmutableResourceId string

@description('Queue of chunk copies in the runtime storage account (ARCHIVE_QUEUE). Its poison queue is NAME-poison.')
@minLength(3)
@maxLength(56)
param archiveQueueName string = 'archive-chunks'

@minValue(0)
@description('After its deadline plus this, a recording still not archived is marked failed (ARCHIVE_DEADLINE_GRACE_HOURS).')
param deadlineGraceHours int = 1

// RECORDING_STATE_CALLBACK_URL must carry the recordingState function's own key, which exists only once the code is
// deployed. The post-deploy step sets it (callback-url.bicep, with retries); a provisioning only carries over the URL
// the app has at that moment (main.bicep reads it from the current app settings once infra/scripts/preprovision.*
// found the code deployed, ARCHIVER_CODE_DEPLOYED). Nothing deployed by a provisioning reads a function key: listKeys
// goes through the app's host, which does not answer while the app cold-starts or restarts, and a provisioning has no
// retry. Empty on the very first provisioning ('' is read as unset) until postdeploy sets it.
@secure()
@description('The RECORDING_STATE_CALLBACK_URL the app has now (it carries a function key; never output), or empty.')
param recordingStateCallbackUrl string = ''

@description('Deny public network access to the runtime account except the listed IP ranges and trusted services; the app then reaches it through private endpoints (network.bicep, private-endpoints.bicep).')
param restrictPublicNetworkAccess bool = false

@description('With restrictPublicNetworkAccess: public IPv4 addresses or CIDR ranges allowed into the runtime account (the operator CLI\'s `status`, `retry`).')
param allowedIpRanges array = []

@description('Subnet the app joins (virtual network integration, delegated to Microsoft.App/environments); empty for none.')
param virtualNetworkSubnetId string = ''

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Runtime storage: AzureWebJobsStorage (timer leases, host state, diagnostics) and the deployment package.
resource runtimeStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: runtimeStorageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // NOTE: a Deny firewall rather than a disabled public endpoint, as for the archive account (archive-storage.bicep).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: restrictPublicNetworkAccess ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
      ipRules: restrictPublicNetworkAccess ? map(allowedIpRanges, cidr => { value: cidr, action: 'Allow' }) : []
    }
  }
}

resource runtimeBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: runtimeStorage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: runtimeBlobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource runtimeQueueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: runtimeStorage
  name: 'default'
}

// The chunk queue: archiveRecording and the sweeper put one message per chunk, archiveChunk takes them.
resource archiveQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: runtimeQueueService
  name: archiveQueueName
}

// Where the Functions queue extension moves a message after maxDequeueCount failures (`<queue>-poison`). Created
// here so that the app never needs queues/write: the extension sends first and creates the queue only on a 404
// (StorageQueueExtensions.AddMessageAndCreateIfNotExistsAsync in Microsoft.Azure.WebJobs.Extensions.Storage.Queues).
resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: runtimeQueueService
  name: '${archiveQueueName}-poison'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

@description('Client id of the Microsoft Entra app registration that signs reviewers into the archive console (docs/console.md); empty: no App Service authentication, and the console refuses everyone.')
param consoleAuthClientId string = ''

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the app to deploy `services.api` of azure.yaml to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Outbound through the app's subnet when the storage accounts only take private traffic (network.bicep).
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${runtimeStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // Per-function scaling needs no setting; always-ready instances are set per scale group, `function:<name>`
        // for a function that scales on its own. Empty by default: archiveChunk scales from zero.
        alwaysReady: archiveChunkAlwaysReady > 0
          ? [
              {
                name: 'function:archiveChunk'
                instanceCount: archiveChunkAlwaysReady
              }
            ]
          : []
      }
      // NOTE: on Flex Consumption the runtime and its version are set here, not through FUNCTIONS_WORKER_RUNTIME,
      // FUNCTIONS_EXTENSION_VERSION or WEBSITE_NODE_DEFAULT_VERSION app settings, which Flex rejects.
      // https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
  dependsOn: [
    deploymentContainer
  ]
}

// Every app setting, in one object (test/infra/infra.test.ts checks it against shared/config.ts).
var appSettings = {
  // Functions host storage through the identity (no AzureWebJobsStorage connection string).
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.properties.clientId
  AzureWebJobsStorage__blobServiceUri: runtimeStorage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: runtimeStorage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: runtimeStorage.properties.primaryEndpoints.table
  // Telemetry: the connection string only locates the component; with local auth disabled, ingestion is
  // authorized by the Entra token the authentication string asks for.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  // DefaultAzureCredential (ACS and archive) picks the user-assigned identity by this client id.
  AZURE_CLIENT_ID: identity.properties.clientId
  // The product's settings (docs/settings.md).
  ACS_ENDPOINT: acsEndpoint
  ACS_RECORDING_API: acsRecordingApi
  ACS_DOWNLOAD_HOSTS: acsDownloadHosts
  ARCHIVE_STORAGE_URL: archiveStorageUrl
  ARCHIVE_CONTAINER: archiveContainerName
  CONTROL_CONTAINER: controlContainerName
  AUDIT_CONTAINER: auditContainerName
  // Carries the recordingState function's OWN key (never the host's default or master key): ACS calls this URL, and
  // recordingState is authLevel function. Set by postdeploy (callback-url.bicep), carried over here (see the param).
  RECORDING_STATE_CALLBACK_URL: recordingStateCallbackUrl
  RECORDING_RETENTION_HOURS: string(recordingRetentionHours)
  ARCHIVE_DEADLINE_WARNING_HOURS: string(deadlineWarningHours)
  ARCHIVE_DEADLINE_GRACE_HOURS: string(deadlineGraceHours)
  ARCHIVE_QUEUE: archiveQueue.name
  // The topic check (events from another resource are refused) and the audience of Call Automation JWTs.
  ACS_RESOURCE_ID: acsResourceId
  ACS_IMMUTABLE_RESOURCE_ID: acsImmutableResourceId
  DELETE_SOURCE_AFTER_ARCHIVE: deleteSourceAfterArchive ? 'true' : 'false'
  RECORDING_CONTENT_TYPE: recordingContentType
  RECORDING_CHANNEL_TYPE: recordingChannelType
  RECORDING_FORMAT_TYPE: recordingFormatType
  RECORDING_PAUSE_ON_START: recordingPauseOnStart ? 'true' : 'false'
}

// Bring your own storage, only when a container is given (an empty setting would be read as unset anyway).
var byosSettings = empty(recordingExternalStorageUrl) ? {} : { RECORDING_EXTERNAL_STORAGE_URL: recordingExternalStorageUrl }

// No publishing with a user name and password (FTP, or the SCM site's basic auth): azd deploys with Microsoft Entra ID,
// and a leaked publishing profile would otherwise replace the code. https://learn.microsoft.com/azure/app-service/configure-basic-auth-disable
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

resource appSettingsConfig 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(appSettings, byosSettings)
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
output runtimeStorageAccountName string = runtimeStorage.name
output archiveQueueName string = archiveQueue.name
output poisonQueueName string = poisonQueue.name

// App Service authentication (Microsoft Entra ID) for the archive console: it signs reviewers in and passes their
// principal (x-ms-client-principal, app roles included) to the app, and strips that header from every other request.
// Anonymous requests still reach the app: Event Grid, ACS callbacks and the key-protected APIs carry no Entra token;
// the console's API itself refuses (403) any request without a principal holding its app role.
resource consoleAuth 'Microsoft.Web/sites/config@2024-04-01' = if (!empty(consoleAuthClientId)) {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: consoleAuthClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [consoleAuthClientId, 'api://${consoleAuthClientId}']
        }
      }
    }
    login: {
      // No token store: the console needs the signed-in principal only, never the user's tokens.
      tokenStore: { enabled: false }
    }
  }
}
