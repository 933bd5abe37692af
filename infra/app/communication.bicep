// A new Azure Communication Services resource, only deployed when no existing one is given (main.bicep decides).

param name string
param tags object = {}

@description('Where ACS stores data at rest, e.g. "United States", "Europe", "UK". Cannot be changed later.')
param dataLocation string

@description('Turn off the resource\'s access keys: every caller must use Microsoft Entra ID (the app does).')
param disableLocalAuth bool = true

@description('Give the resource a system-assigned identity (bring your own storage: ACS writes recordings with it).')
param systemAssignedIdentity bool = false

resource communicationService 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: name
  // NOTE: ACS is a global resource; only dataLocation pins where its data lives.
  location: 'global'
  tags: tags
  identity: {
    type: systemAssignedIdentity ? 'SystemAssigned' : 'None'
  }
  properties: {
    dataLocation: dataLocation
    // NOTE: the app never uses the keys (ACS_ENDPOINT + managed identity). Other software that still needs a
    // connection string for this resource needs this set to false (main.bicep: acsDisableLocalAuth).
    disableLocalAuth: disableLocalAuth
  }
}

output name string = communicationService.name
output principalId string = systemAssignedIdentity ? communicationService.identity.principalId : ''
