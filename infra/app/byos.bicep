// Bring your own storage (BYOS): ACS records straight into a container of the archive account, with the ACS
// resource's own system-assigned identity, and the app reads the files there to verify and index them in place
// (docs/architecture.md, "Bring your own storage"). Deployed only when byosContainerName is set (main.bicep).
// ACS writes with its managed identity, so it needs Storage Blob Data Contributor on the container:
// https://learn.microsoft.com/azure/communication-services/quickstarts/call-automation/call-recording/bring-your-own-storage
// Role GUIDs: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage

param archiveStorageAccountName string

@description('The container ACS records into (RECORDING_EXTERNAL_STORAGE_URL names it).')
param containerName string

@description('Principal id of the ACS resource\'s system-assigned identity.')
param acsPrincipalId string

@description('Principal id of the function app\'s identity: reads the files to verify them in place.')
param appPrincipalId string

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: archiveStorageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

resource acsWrites 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: container
  name: guid(container.id, acsPrincipalId, storageBlobDataContributor)
  properties: {
    principalId: acsPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
  }
}

resource appReads 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: container
  name: guid(container.id, appPrincipalId, storageBlobDataReader)
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
  }
}

output containerUrl string = '${storage.properties.primaryEndpoints.blob}${container.name}'
