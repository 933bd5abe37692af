// Deployed into the resource group of the Communication Services resource (new or existing): reads its endpoint and
// lets the app's identity control recordings with a Microsoft Entra token instead of an access key.

param communicationServiceName string

@description('Principal (object) id of the function app\'s user-assigned identity.')
param appPrincipalId string

resource communicationService 'Microsoft.Communication/communicationServices@2025-05-01' existing = {
  name: communicationServiceName
}

// Communication and Email Service Owner. WHY: ACS publishes no data-plane role for Call Automation; a Microsoft Entra
// caller of the Call Automation API (start/stop/pause/resume recording, GET state) and of the recording download
// endpoints is authorized through actions on the resource itself (Microsoft.Communication/CommunicationServices/*).
// This is the narrowest built-in role we found that carries them; "Contributor" would work too but also grants
// every other resource action at this scope. Scoped to this one resource, never to the resource group.
// Why no custom role with only what recording needs (start, stop, state, download): a custom role is made of actions
// and data actions the provider publishes, and Microsoft.Communication publishes no data actions at all; its
// operations (https://learn.microsoft.com/azure/role-based-access-control/permissions/integration#microsoftcommunication)
// are control-plane ones: CommunicationServices/Read, Write, Delete, ListKeys/action, RegenerateKey/action,
// LinkNotificationHub/action, EventGridFilters/*, EmailServices/*. Which of them the Call Automation data plane checks
// for an Entra caller is not documented, so a role of "Read" alone cannot be promised to work; the owner role stays,
// with the cost that the app's identity could also list or regenerate the keys (the app never does: it has no key
// setting) or delete the resource. To try a narrower role: create a custom role with
// Microsoft.Communication/CommunicationServices/Read only, assign it instead, restart the app, start a test recording;
// a 401/403 logs AcsAccessDenied (alerted) and means the data plane wants more. If Microsoft publishes data actions,
// list them in test/helpers/infra/sources.ts (MICROSOFT_COMMUNICATION_DATA_ACTIONS) and build the role from them.
// NOT CONFIRMED by a Microsoft page for Call Automation; how to check it (README "Operating"):
// - a wrong or missing role makes ACS answer 401 or 403 to a start (POST .../recordings) or a download;
// - the app then logs `AcsAccessDenied {"operation":"start"|"download"|"delete","status":401|403,...}` (a start
//   also answers 5xx to the caller and logs RecordingStartFailed; a download is retried from the queue), and the
//   "ACS access denied" alert (alerts.bicep) fires within minutes;
// - `az role assignment list --assignee <AZURE_FUNCTION_PRINCIPAL_ID> --scope <ACS_RESOURCE_ID> -o table` shows it.
// Managed identity tokens are cached for hours: after changing the role, restart the app.
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
// Read-only property (CommunicationServiceProperties.immutableResourceId, Microsoft.Communication 2025-05-01): the
// audience of the JWTs Call Automation signs its callbacks with (ACS_IMMUTABLE_RESOURCE_ID). Not a secret.
output immutableResourceId string = communicationService.properties.immutableResourceId
