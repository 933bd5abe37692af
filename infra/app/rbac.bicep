// Role assignments inside the app's resource group, least privilege, each with the reason it exists.
// (The role on Communication Services lives in acs-access.bicep, next to that resource.)
// Built-in role definition ids: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles

param runtimeStorageAccountName string
param archiveStorageAccountName string
param deadLetterContainerName string
param applicationInsightsName string

@description('Principal (object) id of the function app\'s user-assigned identity.')
param appPrincipalId string

@description('Principal id of the Event Grid system topic\'s system-assigned identity.')
param topicPrincipalId string

@description('Object id of the operator (the person or pipeline running azd); empty to skip.')
param operatorPrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param operatorPrincipalType string = 'User'

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource runtimeStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: runtimeStorageAccountName
}

resource archiveStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: archiveStorageAccountName
}

resource archiveBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: archiveStorage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: archiveBlobService
  name: deadLetterContainerName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// App -> runtime storage, Storage Blob Data Owner. WHY: the Functions host keeps its state, timer-trigger leases
// (sweepArchives runs on one instance) and keys in blobs of AzureWebJobsStorage, and Flex Consumption reads the
// deployment package from the deployment container; Microsoft documents Owner (not Contributor) for the host's
// blob connection because it manages containers and leases.
resource appRuntimeBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtimeStorage.id, appPrincipalId, storageBlobDataOwner)
  scope: runtimeStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> runtime storage, Storage Queue Data Contributor. WHY: AzureWebJobsStorage__queueServiceUri is set, and the
// host uses queues of its storage for queue-backed features (e.g. blob-trigger receipts, retries of storage
// triggers); without the role it logs authorization failures. Only the runtime account, never the archive.
resource appRuntimeQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtimeStorage.id, appPrincipalId, storageQueueDataContributor)
  scope: runtimeStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> runtime storage, Storage Table Data Contributor. WHY: the host writes its diagnostic events to a table of
// AzureWebJobsStorage (AzureWebJobsStorage__tableServiceUri). Only the runtime account.
resource appRuntimeTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtimeStorage.id, appPrincipalId, storageTableDataContributor)
  scope: runtimeStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> archive account, Storage Blob Data Contributor. WHY: the app writes chunks and manifests (archive
// container), reads and conditionally writes call/recording state (control container), and the sweep/redrive read
// dead-lettered events; it creates a missing container at start. Contributor, not Owner: it needs neither blob index
// tags nor ownership/ACLs. Account scope because it uses three of the account's containers.
resource appArchiveBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(archiveStorage.id, appPrincipalId, storageBlobDataContributor)
  scope: archiveStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> Application Insights, Monitoring Metrics Publisher. WHY: local auth is disabled on the component, so
// telemetry is accepted only with an Entra token of a principal holding this role
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING names the identity).
resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Event Grid topic -> dead-letter container, Storage Blob Data Contributor. WHY: undeliverable events are written
// there by the topic's own identity (deadLetterWithResourceIdentity), since the account accepts no keys. Scoped to
// that one container: the topic can neither read nor alter recordings or control state.
resource topicDeadLetter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, topicPrincipalId, storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: topicPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Operator -> archive account, Storage Blob Data Contributor (optional). WHY: shared keys are off, so the operator
// CLI (status, verify, redrive, archive) and `az storage blob ... --auth-mode login` need a data role: reading
// manifests, chunks and dead letters, and redrive rewrites manifests.
resource operatorArchiveBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(archiveStorage.id, operatorPrincipalId, storageBlobDataContributor)
  scope: archiveStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}
