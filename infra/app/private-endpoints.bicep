// Only with storagePublicNetworkAccess = 'Restricted': the private endpoints through which the function app reaches its
// storage accounts, in the network of network.bicep (which explains the design and its costs). Deployed once both
// accounts exist: blob, queue and table of the runtime account (the Functions host, the chunk queue), blob of the
// archive account. Each endpoint registers its address in the privatelink zone of its service, so the accounts' usual
// host names resolve to it inside the network.

param location string
param tags object = {}

@description('Suffix of the endpoint names (the network\'s name).')
param nameSuffix string

param runtimeStorageAccountName string
param archiveStorageAccountName string
param privateEndpointSubnetId string
param blobZoneId string
param queueZoneId string
param tableZoneId string

resource runtimeStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: runtimeStorageAccountName
}

resource archiveStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: archiveStorageAccountName
}

var endpoints = [
  { name: 'runtime-blob', accountId: runtimeStorage.id, groupId: 'blob', zoneId: blobZoneId }
  { name: 'runtime-queue', accountId: runtimeStorage.id, groupId: 'queue', zoneId: queueZoneId }
  { name: 'runtime-table', accountId: runtimeStorage.id, groupId: 'table', zoneId: tableZoneId }
  { name: 'archive-blob', accountId: archiveStorage.id, groupId: 'blob', zoneId: blobZoneId }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for endpoint in endpoints: {
    name: 'pe-${endpoint.name}-${nameSuffix}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: privateEndpointSubnetId
      }
      privateLinkServiceConnections: [
        {
          name: endpoint.name
          properties: {
            privateLinkServiceId: endpoint.accountId
            groupIds: [
              endpoint.groupId
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (endpoint, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: endpoint.groupId
          properties: {
            privateDnsZoneId: endpoint.zoneId
          }
        }
      ]
    }
  }
]
