// The function app's user-assigned managed identity. User-assigned (not system-assigned) so that role assignments
// can be made before the app exists and survive re-creating the app; the app finds it through AZURE_CLIENT_ID.

param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
