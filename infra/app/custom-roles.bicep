// Two custom roles, because no built-in role is narrow enough for what the app does (least privilege):
// - archive writer: the app writes recordings into the archive container and rewrites manifests, but never deletes
//   or tags anything there. "Storage Blob Data Contributor" would add blobs/delete (and move); with WORM off, that
//   is the difference between a compromised app that can add junk and one that can erase the archive.
// - queue worker: the archiveChunk queue trigger (and the app's own enqueue) on `archive-chunks`. The built-in pair
//   Microsoft documents for a queue trigger (Storage Queue Data Reader + Message Processor) lacks messages/write,
//   which Update Message needs; the Functions queue extension calls Update Message to keep a long copy's message
//   invisible and to release a failed one with its backoff (UpdateQueueMessageVisibilityCommand,
//   QueueProcessor.ReleaseMessageAsync). https://github.com/MicrosoftDocs/azure-docs/issues/120932 reports exactly
//   that failure. "Storage Queue Data Contributor" would also allow deleting the queue and clearing it.
// Every action below is in https://learn.microsoft.com/azure/role-based-access-control/permissions/storage and the
// operation -> action map is https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory
// (test/infra/sources.ts lists them; the tests fail on any other action).
// Role definitions are tenant-wide objects: `azd down` deletes the resource group and the assignments in it, not
// these definitions (README "Tear down" shows how to remove them). Creating them needs
// Microsoft.Authorization/roleDefinitions/write (Owner or User Access Administrator).

@description('Name of the azd environment, to make the role names unique in the tenant.')
param environmentName string

resource archiveWriter 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, resourceGroup().id, 'call-recording-archiver', 'archive-writer')
  properties: {
    roleName: 'Call recording archive writer (${environmentName}, ${resourceGroup().name})'
    description: 'Read and write recordings and manifests in the archive container; no delete, no tags, no immutability actions.'
    type: 'customRole'
    permissions: [
      {
        actions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/read'
          // The app creates a missing container at start (createIfNotExists): Create Container needs containers/write.
          'Microsoft.Storage/storageAccounts/blobServices/containers/write'
        ]
        notActions: []
        dataActions: [
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'
          'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

resource queueWorker 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, resourceGroup().id, 'call-recording-archiver', 'queue-worker')
  properties: {
    roleName: 'Call recording queue worker (${environmentName}, ${resourceGroup().name})'
    description: 'Send, receive, update (visibility) and delete messages of the chunk queue; read its properties. No queue delete or clear.'
    type: 'customRole'
    permissions: [
      {
        actions: [
          // Get Queue Properties / Metadata: the trigger's existence check and the approximate message count.
          'Microsoft.Storage/storageAccounts/queueServices/queues/read'
        ]
        notActions: []
        dataActions: [
          // Peek Messages.
          'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read'
          // Get Messages and Delete Message.
          'Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action'
          // Update Message: visibility renewal while a chunk copies, release with backoff after a failure.
          'Microsoft.Storage/storageAccounts/queueServices/queues/messages/write'
          // Put Message: archiveRecording and the sweeper enqueue chunk copies.
          'Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: [
      resourceGroup().id
    ]
  }
}

// Role assignments take the subscription-level id of a role definition.
output archiveWriterRoleDefinitionId string = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', archiveWriter.name)
output queueWorkerRoleDefinitionId string = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', queueWorker.name)
