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

@minValue(40)
@maxValue(1000)
@description('Upper bound of instances the plan scales out to.')
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
@description('Memory per instance. A chunk copy holds ARCHIVE_BLOCK_SIZE_MIB x ARCHIVE_BLOCKS_IN_FLIGHT in memory.')
param instanceMemoryMB int = 2048

// Settings of the app (SPEC section 7, shared/config.ts) -------------------------------------------------------

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
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
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
  // The product (SPEC section 7).
  ACS_ENDPOINT: acsEndpoint
  ACS_RECORDING_API: acsRecordingApi
  ACS_DOWNLOAD_HOSTS: acsDownloadHosts
  ARCHIVE_STORAGE_URL: archiveStorageUrl
  ARCHIVE_CONTAINER: archiveContainerName
  CONTROL_CONTAINER: controlContainerName
  RECORDING_STATE_CALLBACK_URL: 'https://${functionApp.properties.defaultHostName}/api/recording-state'
  RECORDING_RETENTION_HOURS: string(recordingRetentionHours)
  ARCHIVE_DEADLINE_WARNING_HOURS: string(deadlineWarningHours)
  DELETE_SOURCE_AFTER_ARCHIVE: deleteSourceAfterArchive ? 'true' : 'false'
  RECORDING_CONTENT_TYPE: recordingContentType
  RECORDING_CHANNEL_TYPE: recordingChannelType
  RECORDING_FORMAT_TYPE: recordingFormatType
  RECORDING_PAUSE_ON_START: recordingPauseOnStart ? 'true' : 'false'
}

resource appSettingsConfig 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: appSettings
}

output name string = functionApp.name
output id string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
output runtimeStorageAccountName string = runtimeStorage.name
