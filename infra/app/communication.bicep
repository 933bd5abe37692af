// A new Azure Communication Services resource, only deployed when no existing one is given (main.bicep decides).

param name string
param tags object = {}

@description('Where ACS stores data at rest, e.g. "United States", "Europe", "UK". Cannot be changed later.')
param dataLocation string

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: name
  // NOTE: ACS is a global resource; only dataLocation pins where its data lives.
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

output name string = communicationService.name
