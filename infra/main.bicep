// call-recording-archiver: everything `azd up` (or `az deployment sub create`) stands up, keyless.
// The Event Grid subscriptions are deployed separately (subscriptions.bicep) after the code, because creating them
// validates the endpoints, which exist only once the functions are deployed: azure.yaml runs
// infra/scripts/postdeploy.* for that.
// NOTE: this template writes only into its own resource group. `azd down` deletes every resource group the
// deployment put anything in (https://github.com/Azure/azure-dev/issues/2916), so an existing Communication Services
// resource or system topic elsewhere is only *read* here; the writes next to them (the app's role on an existing
// ACS resource, the event subscriptions) are made by the post-deploy deployment, which `azd down` does not touch.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; seeds the resource names and tags every resource.')
param environmentName string

@minLength(1)
@description('Region of the function app, storage and monitoring. Must offer Flex Consumption.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the person or pipeline deploying; gets data access to the archive for the operator CLI. Empty to skip.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('Resource group to create; default rg-<environmentName>.')
param resourceGroupName string = ''

// Communication Services ---------------------------------------------------------------------------------------

@description('Name of an existing Communication Services resource to use; empty creates a new one.')
param existingCommunicationServiceName string = ''

@description('Resource group of the existing Communication Services resource; default the app\'s resource group.')
param existingCommunicationServiceResourceGroup string = ''

@description('Data location of a new Communication Services resource (ignored for an existing one).')
param acsDataLocation string = 'United States'

@description('Disable the access keys of a new Communication Services resource (ignored for an existing one).')
param acsDisableLocalAuth bool = true

@description('Name of an existing Event Grid system topic on the Communication Services resource (only one may exist per resource); empty creates one. It must have a system-assigned identity.')
param existingSystemTopicName string = ''

@description('Resource group of the existing system topic; default the Communication Services resource group.')
param existingSystemTopicResourceGroup string = ''

// Archive ------------------------------------------------------------------------------------------------------

@allowed(['Standard_LRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_ZRS', 'Standard_GZRS', 'Standard_RAGZRS'])
param archiveStorageSku string = 'Standard_GRS'

@minValue(0)
@description('Days after the last write before archive blobs move to cool; 0 = never.')
param coolAfterDays int = 30

@minValue(0)
@description('Days after the last write before archive blobs move to cold; 0 = never.')
param coldAfterDays int = 90

@minValue(0)
@description('Days before chunk blobs tagged archiveTier=allowed move to the offline archive tier; 0 = never.')
param archiveTierAfterDays int = 0

@minValue(0)
@description('Days previous blob versions are kept; 0 = forever.')
param previousVersionRetentionDays int = 90

@minValue(1)
@maxValue(365)
param softDeleteRetentionDays int = 14

// NOTE: no default, on purpose: main.parameters.json maps it to ARCHIVE_IMMUTABILITY_ENABLED, and azd asks for a
// parameter whose mapped value is unset when it has no default (Azure/azure-dev#2895, fixed by #2896: "azd will prompt
// the user for a value unless the parameter also defines a default value"). So every new environment decides, and
// its answer is kept in the environment's config (infra.parameters.enableImmutability). true is recommended for
// production: with WORM off the app's role (blobs/write) can overwrite an archived chunk.
@description('Archive into a new container with version-level WORM (recommended for production; irreversible once the policy is locked). See app/archive-storage.bicep.')
param enableImmutability bool

@minValue(1)
param immutabilityPeriodDays int = 365

@description('Deploy the WORM container\'s immutability policy. infra/scripts/preprovision.* sets false once the policy is locked (a locked policy refuses every update).')
param applyImmutabilityPolicy bool = true

@minValue(1)
@maxValue(146000)
@description('Days every erasure and legal-hold audit record stays immutable (the audit container is always WORM).')
param auditImmutabilityDays int = 365

@description('Deploy the audit container\'s immutability policy. infra/scripts/preprovision.* sets false once it is locked.')
param applyAuditImmutabilityPolicy bool = true

// Network ---------------------------------------------------------------------------------------------------------

// Off by default: 'Restricted' adds a virtual network, four private endpoints and three private DNS zones (billed by
// the hour and by the month: docs/deploy.md), and every data-plane call from outside (the operator CLI, a laptop)
// must come from storageAllowedIpRanges.
@allowed(['Enabled', 'Restricted'])
@description('Storage accounts: Enabled accepts public network traffic (with Entra ID auth only); Restricted denies it but for storageAllowedIpRanges and trusted Azure services, and the app reaches storage through private endpoints in its own virtual network.')
param storagePublicNetworkAccess string = 'Enabled'

@description('With storagePublicNetworkAccess = Restricted: public IPv4 addresses or CIDR ranges let into both storage accounts (operators running the CLI).')
param storageAllowedIpRanges array = []

// App behaviour (docs/settings.md) ----------------------------------------------------------------------------

@allowed(['calling', 'conversations'])
param acsRecordingApi string = 'calling'

@description('Extra allowed recording download hosts, comma separated (ACS_DOWNLOAD_HOSTS).')
param acsDownloadHosts string = ''

@minValue(1)
@description('How long ACS keeps recording files (RECORDING_RETENTION_HOURS); today 24.')
param recordingRetentionHours int = 24

@minValue(0)
@description('Report archives this close to their deadline (ARCHIVE_DEADLINE_WARNING_HOURS; raised to alertNearDeadlineHours if lower).')
param deadlineWarningHours int = 6

@minValue(0)
@description('After its deadline plus this, a recording still not archived is marked failed (ARCHIVE_DEADLINE_GRACE_HOURS).')
param deadlineGraceHours int = 1

@description('Queue of chunk copies in the runtime storage account (ARCHIVE_QUEUE); the poison queue is NAME-poison.')
@minLength(3)
@maxLength(56)
param archiveQueueName string = 'archive-chunks'

@description('Delete each chunk from ACS once archived and verified (DELETE_SOURCE_AFTER_ARCHIVE).')
param deleteSourceAfterArchive bool = false

@allowed(['audio', 'audioVideo'])
param recordingContentType string = 'audioVideo'

@allowed(['mixed', 'unmixed'])
param recordingChannelType string = 'mixed'

@allowed(['wav', 'mp3', 'mp4'])
param recordingFormatType string = 'mp4'

param recordingPauseOnStart bool = false

@description('Bring your own storage: a container of the archive account that ACS records into (RECORDING_EXTERNAL_STORAGE_URL) with its system-assigned identity; the app verifies the files there. Empty: off. An existing ACS resource must have its system-assigned identity on.')
param byosContainerName string = ''

@description('The archive console: the client id of its Microsoft Entra app registration (docs/console.md). Empty: no built-in authentication, and the console refuses every caller in Azure.')
param consoleAuthClientId string = ''

@minValue(40)
@maxValue(1000)
@description('Flex Consumption maximum instance count (why 40: app/function.bicep).')
param maximumInstanceCount int = 40

@minValue(0)
@maxValue(20)
@description('Always-ready (billed while idle) instances for archiveChunk; 0 scales it from zero.')
param archiveChunkAlwaysReady int = 0

@description('True once the code is deployed (set by infra/scripts/preprovision.*): the current RECORDING_STATE_CALLBACK_URL is then carried over.')
param codeDeployed bool = false

// Monitoring -----------------------------------------------------------------------------------------------------

@description('E-mail address the alerts are sent to (ALERT_EMAIL); empty: alerts fire without mail.')
param alertEmailAddress string = ''

@minValue(1)
@maxValue(24)
@description('Alert when an archive is this many hours or fewer from its deadline (ALERT_NEAR_DEADLINE_HOURS).')
param alertNearDeadlineHours int = 6

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

// Names --------------------------------------------------------------------------------------------------------

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'call-recording-archiver'
}
var rgName = !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
var functionAppName = 'func-${resourceToken}'
var archiveContainerName = 'recordings'
var controlContainerName = 'recording-control'
var deadLetterContainerName = 'eventgrid-deadletter'
var auditContainerName = 'recording-audit'
var restrictStorageNetwork = storagePublicNetworkAccess == 'Restricted'
var createCommunicationService = empty(existingCommunicationServiceName)
var communicationServiceName = createCommunicationService ? 'acs-${resourceToken}' : existingCommunicationServiceName
var communicationResourceGroupName = createCommunicationService || empty(existingCommunicationServiceResourceGroup)
  ? rgName
  : existingCommunicationServiceResourceGroup
var createSystemTopic = empty(existingSystemTopicName)
var systemTopicName = createSystemTopic ? 'evgt-acs-${resourceToken}' : existingSystemTopicName
// A new system topic goes into this resource group; an existing one is usually next to its source.
var systemTopicResourceGroupName = createSystemTopic
  ? rgName
  : (empty(existingSystemTopicResourceGroup) ? communicationResourceGroupName : existingSystemTopicResourceGroup)

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: rgName
  location: location
  tags: tags
}

module monitoring 'core/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module appIdentity 'core/identity.bicep' = {
  name: 'appIdentity'
  scope: rg
  params: {
    name: 'id-func-${resourceToken}'
    location: location
    tags: tags
  }
}

module archive 'app/archive-storage.bicep' = {
  name: 'archiveStorage'
  scope: rg
  params: {
    name: 'starc${resourceToken}'
    location: location
    tags: tags
    skuName: archiveStorageSku
    archiveContainerName: archiveContainerName
    controlContainerName: controlContainerName
    deadLetterContainerName: deadLetterContainerName
    auditContainerName: auditContainerName
    auditImmutabilityDays: auditImmutabilityDays
    applyAuditImmutabilityPolicy: applyAuditImmutabilityPolicy
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
    restrictPublicNetworkAccess: restrictStorageNetwork
    allowedIpRanges: storageAllowedIpRanges
    softDeleteRetentionDays: softDeleteRetentionDays
    coolAfterDays: coolAfterDays
    coldAfterDays: coldAfterDays
    archiveTierAfterDays: archiveTierAfterDays
    previousVersionRetentionDays: previousVersionRetentionDays
    enableImmutability: enableImmutability
    applyImmutabilityPolicy: applyImmutabilityPolicy
    immutabilityPeriodDays: immutabilityPeriodDays
  }
}

module network 'app/network.bicep' = if (restrictStorageNetwork) {
  name: 'network'
  scope: rg
  params: {
    name: 'vnet-${resourceToken}'
    location: location
    tags: tags
  }
}

module customRoles 'app/custom-roles.bicep' = {
  name: 'customRoles'
  scope: rg
  params: {
    environmentName: environmentName
  }
}

module communication 'app/communication.bicep' = if (createCommunicationService) {
  name: 'communication'
  scope: rg
  params: {
    name: communicationServiceName
    tags: tags
    dataLocation: acsDataLocation
    disableLocalAuth: acsDisableLocalAuth
    systemAssignedIdentity: !empty(byosContainerName)
  }
}

// The app's role on a new ACS resource. On an existing one the post-deploy deployment assigns it (see NOTE above).
module acsAccess 'app/acs-access.bicep' = if (createCommunicationService) {
  name: 'acsAccess'
  scope: rg
  params: {
    communicationServiceName: communicationServiceName
    appPrincipalId: appIdentity.outputs.principalId
  }
  dependsOn: [
    communication
  ]
}

resource existingCommunicationService 'Microsoft.Communication/communicationServices@2025-05-01' existing = if (!createCommunicationService) {
  name: communicationServiceName
  scope: resourceGroup(communicationResourceGroupName)
}

var communicationServiceId = resourceId(
  subscription().subscriptionId,
  communicationResourceGroupName,
  'Microsoft.Communication/communicationServices',
  communicationServiceName
)

module systemTopic 'app/system-topic.bicep' = if (createSystemTopic) {
  name: 'systemTopic'
  scope: rg
  params: {
    name: systemTopicName
    tags: tags
    sourceResourceId: communicationServiceId
  }
  dependsOn: [
    communication
  ]
}

// The audience of Call Automation callback JWTs (ACS_IMMUTABLE_RESOURCE_ID): a read-only property of the resource
// (CommunicationServiceProperties.immutableResourceId, api-version 2025-05-01), read here for a new or an existing
// resource alike (an existing resource is only read, never written).
var acsImmutableResourceId = createCommunicationService
  ? acsAccess.outputs.immutableResourceId
  : existingCommunicationService.properties.immutableResourceId

resource existingSystemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = if (!createSystemTopic) {
  name: systemTopicName
  scope: resourceGroup(systemTopicResourceGroupName)
}

// RECORDING_STATE_CALLBACK_URL carries the recordingState function's own key. Its key is read only by the post-deploy
// step (callback-url.bicep), which retries: listKeys on a function goes through the app's host, which does not answer
// while the app cold-starts or restarts, and a provisioning does not retry. A provisioning carries the URL the app
// has now over instead (reading app settings is a plain Azure Resource Manager call, answered whatever the host's
// state), read before function.bicep writes the settings. Only once the code is deployed: on the very first
// provisioning the app does not exist yet and the setting stays empty until postdeploy sets it.
var functionAppId = resourceId(subscription().subscriptionId, rgName, 'Microsoft.Web/sites', functionAppName)
var currentRecordingStateCallbackUrl = codeDeployed
  ? (list('${functionAppId}/config/appsettings', '2024-04-01').properties.?RECORDING_STATE_CALLBACK_URL ?? '')
  : ''

module app 'app/function.bicep' = {
  name: 'functionApp'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planName: 'plan-${resourceToken}'
    runtimeStorageAccountName: 'st${resourceToken}'
    deploymentContainerName: 'app-package-${take(functionAppName, 32)}'
    identityName: appIdentity.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    maximumInstanceCount: maximumInstanceCount
    archiveChunkAlwaysReady: archiveChunkAlwaysReady
    instanceMemoryMB: instanceMemoryMB
    recordingStateCallbackUrl: currentRecordingStateCallbackUrl
    acsEndpoint: createCommunicationService
      ? acsAccess.outputs.endpoint
      : 'https://${existingCommunicationService.properties.hostName}/'
    acsResourceId: communicationServiceId
    acsImmutableResourceId: acsImmutableResourceId
    archiveQueueName: archiveQueueName
    acsRecordingApi: acsRecordingApi
    acsDownloadHosts: acsDownloadHosts
    archiveStorageUrl: archive.outputs.blobEndpoint
    archiveContainerName: archive.outputs.archiveContainerName
    controlContainerName: archive.outputs.controlContainerName
    recordingRetentionHours: recordingRetentionHours
    // The alert reads the sweeper's ArchiveNearDeadline lines, which start deadlineWarningHours before the deadline.
    deadlineWarningHours: max(deadlineWarningHours, alertNearDeadlineHours)
    deadlineGraceHours: deadlineGraceHours
    deleteSourceAfterArchive: deleteSourceAfterArchive
    recordingContentType: recordingContentType
    recordingChannelType: recordingChannelType
    recordingFormatType: recordingFormatType
    recordingPauseOnStart: recordingPauseOnStart
    consoleAuthClientId: consoleAuthClientId
    auditContainerName: archive.outputs.auditContainerName
    recordingExternalStorageUrl: empty(byosContainerName) ? '' : '${archive.outputs.blobEndpoint}${byosContainerName}'
    restrictPublicNetworkAccess: restrictStorageNetwork
    allowedIpRanges: storageAllowedIpRanges
    virtualNetworkSubnetId: restrictStorageNetwork ? network.outputs.appSubnetId : ''
  }
}

// The app's ways to its storage once both accounts exist (network.bicep explains them).
module storageEndpoints 'app/private-endpoints.bicep' = if (restrictStorageNetwork) {
  name: 'storageEndpoints'
  scope: rg
  params: {
    location: location
    tags: tags
    nameSuffix: resourceToken
    runtimeStorageAccountName: app.outputs.runtimeStorageAccountName
    archiveStorageAccountName: archive.outputs.name
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    blobZoneId: network.outputs.blobZoneId
    queueZoneId: network.outputs.queueZoneId
    tableZoneId: network.outputs.tableZoneId
  }
}

// NOTE on the custom roles (custom-roles.bicep): a role definition created seconds before an assignment that uses it
// can be unknown to that assignment for a while (RoleDefinitionDoesNotExist), because definitions replicate across
// Azure Resource Manager. The assignments depend on the definitions explicitly (dependsOn below; the outputs they
// read would imply it) and, through the app's outputs, start only once the function app module has finished, which
// takes minutes while the definitions, which depend on nothing, are created first. That is the fix, because it is
// the smallest that is sound: azd stops at a failed provisioning and runs no later hook, so no hook can retry it,
// and creating the definitions in preprovision would need this resource group (their assignable scope) before this
// template creates it and would keep the definitions in two places. Should ARM still answer RoleDefinitionDoesNotExist
// on a first `azd up`, run it again: every resource here is idempotent and the definitions exist by then.
module byos 'app/byos.bicep' = if (!empty(byosContainerName)) {
  name: 'byos'
  scope: rg
  params: {
    archiveStorageAccountName: archive.outputs.name
    containerName: byosContainerName
    acsPrincipalId: createCommunicationService
      ? communication.outputs.principalId
      : existingCommunicationService.identity.principalId
    appPrincipalId: appIdentity.outputs.principalId
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'roleAssignments'
  scope: rg
  #disable-next-line no-unnecessary-dependson
  dependsOn: [customRoles, app]
  params: {
    runtimeStorageAccountName: app.outputs.runtimeStorageAccountName
    archiveQueueName: app.outputs.archiveQueueName
    poisonQueueName: app.outputs.poisonQueueName
    archiveStorageAccountName: archive.outputs.name
    archiveContainerName: archive.outputs.archiveContainerName
    controlContainerName: archive.outputs.controlContainerName
    deadLetterContainerName: archive.outputs.deadLetterContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: appIdentity.outputs.principalId
    topicPrincipalId: createSystemTopic ? systemTopic.outputs.principalId : existingSystemTopic.identity.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
    archiveWriterRoleDefinitionId: customRoles.outputs.archiveWriterRoleDefinitionId
    queueWorkerRoleDefinitionId: customRoles.outputs.queueWorkerRoleDefinitionId
    auditContainerName: archive.outputs.auditContainerName
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    nameSuffix: resourceToken
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    systemTopicId: createSystemTopic ? systemTopic.outputs.id : existingSystemTopic.id
    alertEmailAddress: alertEmailAddress
    nearDeadlineHours: alertNearDeadlineHours
  }
}

module archiveAlerts 'app/archive-alerts.bicep' = {
  name: 'archiveAlerts'
  scope: rg
  params: {
    location: location
    tags: tags
    nameSuffix: resourceToken
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
    archiveStorageAccountName: archive.outputs.name
    appPrincipalId: appIdentity.outputs.principalId
    actionGroupName: alerts.outputs.actionGroupName
  }
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    environmentName: environmentName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

// Outputs become azd environment values (read by infra/scripts/postdeploy.*). Names and addresses only.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output SERVICE_API_NAME string = app.outputs.name
output SERVICE_API_URI string = 'https://${app.outputs.defaultHostName}'
output AZURE_FUNCTION_PRINCIPAL_ID string = appIdentity.outputs.principalId
output ACS_ENDPOINT string = createCommunicationService
  ? acsAccess.outputs.endpoint
  : 'https://${existingCommunicationService.properties.hostName}/'
output ACS_RESOURCE_ID string = communicationServiceId
output ACS_IMMUTABLE_RESOURCE_ID string = acsImmutableResourceId
output ACS_NAME string = communicationServiceName
output ACS_RESOURCE_GROUP string = communicationResourceGroupName
// 'true' when the post-deploy step must give the app its role on an existing ACS resource.
output ACS_ROLE_BY_POSTDEPLOY string = createCommunicationService ? 'false' : 'true'
output ARCHIVE_STORAGE_ACCOUNT_NAME string = archive.outputs.name
output ARCHIVE_STORAGE_URL string = archive.outputs.blobEndpoint
output ARCHIVE_CONTAINER string = archive.outputs.archiveContainerName
// The plain archive container (preprovision reads it; with WORM on it keeps what was archived before).
output ARCHIVE_PLAIN_CONTAINER string = archive.outputs.plainArchiveContainerName
output ARCHIVE_IMMUTABILITY_ACTIVE bool = archive.outputs.immutabilityEnabled
output CONTROL_CONTAINER string = archive.outputs.controlContainerName
output DEAD_LETTER_CONTAINER string = archive.outputs.deadLetterContainerName
// The audit container, for the operator CLI (`participant erase`, `hold`) and preprovision (its policy's lock state).
output AUDIT_CONTAINER string = archive.outputs.auditContainerName
// The queue, for the operator CLI (`status`, `retry`) run with `azd env get-values` as its environment.
output ARCHIVE_QUEUE string = app.outputs.archiveQueueName
output AzureWebJobsStorage__queueServiceUri string = 'https://${app.outputs.runtimeStorageAccountName}.queue.${environment().suffixes.storage}/'
output RUNTIME_STORAGE_ACCOUNT_NAME string = app.outputs.runtimeStorageAccountName
output EVENT_GRID_SYSTEM_TOPIC_NAME string = systemTopicName
output EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP string = systemTopicResourceGroupName
