// Deployed into the resource group of the Communication Services resource (new or existing): reads its endpoint and
// lets the app's identity control recordings with a Microsoft Entra token instead of an access key.

param communicationServiceName string

@description('Principal (object) id of the function app\'s user-assigned identity.')
param appPrincipalId string

resource communicationService 'Microsoft.Communication/communicationServices@2025-05-01' existing = {
  name: communicationServiceName
}

// Communication and Email Service Owner. WHY: ACS has no data-plane roles; a Microsoft Entra caller of the Call
// Automation API (start/stop/pause/resume recording, GET state) and of the recording download endpoints is
// authorized through actions on the resource itself (Microsoft.Communication/CommunicationServices/*). This is the
// narrowest built-in role that carries them: "Contributor" would work too but also grants every other resource
// action at this scope. Scoped to this one resource, never to the resource group.
var communicationAndEmailServiceOwner = '09976791-48a7-449e-bb21-39d1a415f350'

resource appControlsRecordings 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationService.id, appPrincipalId, communicationAndEmailServiceOwner)
  scope: communicationService
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', communicationAndEmailServiceOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output id string = communicationService.id
output name string = communicationService.name
// e.g. https://name.communication.azure.com/ (the app needs the trailing slash form; see shared/config.ts)
output endpoint string = 'https://${communicationService.properties.hostName}/'
