// Role assignments inside the app's resource group, least privilege, each with the reason it exists and scoped to the
// narrowest resource that works. (The role on Communication Services lives in acs-access.bicep, next to that
// resource; the two custom roles in custom-roles.bicep.) Every built-in role GUID here is checked by
// test/infra/infra.test.ts against test/infra/sources.ts, which names where each GUID is published:
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage and .../built-in-roles/monitor

param runtimeStorageAccountName string
param archiveStorageAccountName string

@description('The container the app archives into (ARCHIVE_CONTAINER: the WORM one when WORM is on).')
param archiveContainerName string

@description('The control container (CONTROL_CONTAINER): markers, leases, call records, index, audit.')
param controlContainerName string

param deadLetterContainerName string

@description('The chunk queue (ARCHIVE_QUEUE) in the runtime account.')
param archiveQueueName string

@description('Its poison queue (<queue>-poison).')
param poisonQueueName string

param applicationInsightsName string

@description('Principal (object) id of the function app\'s user-assigned identity.')
param appPrincipalId string

@description('Principal id of the Event Grid system topic\'s system-assigned identity.')
param topicPrincipalId string

@description('Object id of the operator (the person or pipeline running azd); empty to skip.')
param operatorPrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param operatorPrincipalType string = 'User'

@description('Custom role "archive writer" (custom-roles.bicep).')
param archiveWriterRoleDefinitionId string

@description('Custom role "queue worker" (custom-roles.bicep).')
param queueWorkerRoleDefinitionId string

@description('The audit container (AUDIT_CONTAINER), where the archive console writes its access records.')
param auditContainerName string

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageBlobDelegator = 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageQueueDataMessageSender = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource runtimeStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: runtimeStorageAccountName
}

resource runtimeQueueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: runtimeStorage
  name: 'default'
}

resource archiveQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: runtimeQueueService
  name: archiveQueueName
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: runtimeQueueService
  name: poisonQueueName
}

resource archiveStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: archiveStorageAccountName
}

resource archiveBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: archiveStorage
  name: 'default'
}

resource archiveContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: archiveBlobService
  name: archiveContainerName
}

resource controlContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: archiveBlobService
  name: controlContainerName
}

resource auditContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: archiveBlobService
  name: auditContainerName
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: archiveBlobService
  name: deadLetterContainerName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// --- The app --------------------------------------------------------------------------------------------------

// App -> runtime storage, Storage Blob Data Owner. WHY: the Functions host keeps its state, timer-trigger leases
// (sweepArchives runs on one instance) and keys in blobs of AzureWebJobsStorage, and Flex Consumption reads the
// deployment package from the deployment container; Microsoft documents Owner (not Contributor) for the host's
// blob connection because it manages containers and leases
// (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity).
resource appRuntimeBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(runtimeStorage.id, appPrincipalId, storageBlobDataOwner)
  scope: runtimeStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
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

// App -> the chunk queue only, custom "queue worker". WHY: archiveRecording and the sweeper send chunk messages
// (add), the archiveChunk trigger receives, renews visibility (write), deletes (process) and counts (queues/read) them.
// Not the account: the host's other queues are none of the app's business.
resource appArchiveQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(archiveQueue.id, appPrincipalId, queueWorkerRoleDefinitionId)
  scope: archiveQueue
  properties: {
    roleDefinitionId: queueWorkerRoleDefinitionId
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> the poison queue only, Storage Queue Data Message Sender. WHY: after maxDequeueCount failures the queue
// extension puts the message on `<queue>-poison` (Put Message = messages/add/action). The queue exists (function.bicep),
// so the extension never needs to create it. The app never reads it: the operator's CLI does (below).
resource appPoisonQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(poisonQueue.id, appPrincipalId, storageQueueDataMessageSender)
  scope: poisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataMessageSender)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> the archive container only, custom "archive writer". WHY: chunks, metadata files, manifests (conditional
// rewrites) and _rejected records; read and write, never delete or tag (custom-roles.bicep).
resource appArchiveContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(archiveContainer.id, appPrincipalId, archiveWriterRoleDefinitionId)
  scope: archiveContainer
  properties: {
    roleDefinitionId: archiveWriterRoleDefinitionId
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> the audit container, the custom archive writer role. WHY: the archive console writes an access record (who
// played or verified which recording, when, from where) before it issues a SAS, create-only. The role reads and
// writes but cannot delete, tag or touch immutability; the container's version-level policy keeps every version of
// what is written, so not even a rewrite can remove a record.
resource appAuditContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(auditContainer.id, appPrincipalId, archiveWriterRoleDefinitionId)
  scope: auditContainer
  properties: {
    roleDefinitionId: archiveWriterRoleDefinitionId
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> the control container only, Storage Blob Data Contributor. WHY: pending markers, chunk leases, call
// records, participant index and audit records are written, leased, rewritten and deleted; this container is outside
// every immutability policy. Contributor, not Owner: no tags, no ACLs.
resource appControlContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(controlContainer.id, appPrincipalId, storageBlobDataContributor)
  scope: controlContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// App -> archive account, Storage Blob Delegator. WHY: the archive console hands the browser a 5-minute, read-only,
// single-blob user-delegation SAS for the chunk it plays (the account accepts no keys, so no other SAS exists). The
// role only lets the app ask for a delegation key; what a SAS can do is capped by the app's own data role (read on
// the archive container, above).
resource appArchiveDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(archiveStorage.id, appPrincipalId, storageBlobDelegator)
  scope: archiveStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDelegator)
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

// --- The Event Grid topic -------------------------------------------------------------------------------------

// Topic -> dead-letter container, Storage Blob Data Contributor. WHY: undeliverable events are written there by the
// topic's own identity (deadLetterWithResourceIdentity), since the account accepts no keys. Scoped to that one
// container: the topic can neither read nor alter recordings or control state.
resource topicDeadLetter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, topicPrincipalId, storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: topicPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// --- The operator (optional) ----------------------------------------------------------------------------------

// Operator -> archive account, Storage Blob Data Owner. WHY: shared keys are off, so the CLI (status, verify,
// archive, redrive, retry, participant export/erase, hold) and `az storage blob ... --auth-mode login` need a data
// role on every container of the account: reading manifests, chunks and dead letters, rewriting manifests (redrive),
// deleting erased recordings and index markers, writing audit records; and, beyond Contributor, blob index tags
// (tags/write: `archiveTier=allowed`, which the offline-tier lifecycle rule needs) and legal holds (blobs/* covers
// the immutableStorage actions). Owner is the narrowest built-in role with tags/write. It covers the audit container
// too, where the CLI writes erasure and hold records create-only; its immutability policy keeps even this role from
// deleting or rewriting them. The app writes only the console's access records there, with the archive writer role
// (no delete; appAuditContainer above).
resource operatorArchiveBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(archiveStorage.id, operatorPrincipalId, storageBlobDataOwner)
  scope: archiveStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// Operator -> the chunk queue, Storage Queue Data Contributor. WHY: `status` peeks queued chunks, `retry` and
// `redrive` enqueue. Queue scope, not the account.
resource operatorArchiveQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(archiveQueue.id, operatorPrincipalId, storageQueueDataContributor)
  scope: archiveQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

// Operator -> the poison queue, Storage Queue Data Contributor. WHY: `status` peeks poison messages and `retry`
// removes the ones it re-enqueues.
resource operatorPoisonQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(poisonQueue.id, operatorPrincipalId, storageQueueDataContributor)
  scope: poisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}
