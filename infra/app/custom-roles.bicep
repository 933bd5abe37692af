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
// A role definition is a subscription-level resource, but its display name (roleName) must be unique in the whole
// Microsoft Entra tenant: a second definition with the same roleName anywhere in the tenant, in another subscription
// too, fails with RoleDefinitionWithSameNameExists (MicrosoftDocs/azure-docs#60446, Azure/ARO-RP#1346). So the names
// carry the subscription id as well as the environment and resource group names: `dev` deployed into a second
// subscription gets roles of its own. The resource name (a guid) is derived from the subscription and the resource
// group (whose name carries the environment), so re-provisioning updates the same two definitions in place.
// `azd down` deletes the resource group and the assignments in it, not these definitions (README "Tear down" shows
// how to remove them). Creating them needs Microsoft.Authorization/roleDefinitions/write (Owner or User Access
// Administrator).
// Replication: a definition can be briefly unknown to the assignment that uses it (RoleDefinitionDoesNotExist) right
// after it is created. main.bicep makes the assignments (rbac.bicep) depend on this module explicitly and only after
// the function app module, which takes minutes; see the NOTE there.

@description('Name of the azd environment; part of the role names, which must be unique in the tenant.')
param environmentName string

// "(<env>, <resource group>, <subscription id>)": unique in the tenant, and readable in the portal and for
// `az role definition list --custom-role-only`.
var roleNameSuffix = '(${environmentName}, ${resourceGroup().name}, ${subscription().subscriptionId})'

resource archiveWriter 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, resourceGroup().id, 'call-recording-archiver', 'archive-writer')
  properties: {
    roleName: 'Call recording archive writer ${roleNameSuffix}'
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
    roleName: 'Call recording queue worker ${roleNameSuffix}'
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
