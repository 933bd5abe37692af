/**
 * The facts the infra tests hold the templates to, each with where it is published. A template that uses a type,
 * api-version, role or permission not listed here fails the tests until someone looks it up and adds it, with its
 * source. Nothing here is derived from the templates.
 */

/** Learn's ARM template reference for a type at a version: the canonical page of its schema. */
function templateReference(type: string, apiVersion: string): string {
  const [provider = '', ...path] = type.split('/');
  return `https://learn.microsoft.com/azure/templates/${provider.toLowerCase()}/${apiVersion}/${path.join('/').toLowerCase()}`;
}

const SPECS = 'https://github.com/Azure/azure-rest-api-specs/tree/main/specification';

/** Every `Microsoft.*` resource type and api-version the templates may use (declared, existing or listKeys/list). */
export const RESOURCE_TYPES: Record<string, string> = {
  'Microsoft.Resources/resourceGroups@2021-04-01': `${SPECS}/resources/resource-manager/Microsoft.Resources/stable/2021-04-01/resources.json`,
  'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31': `${SPECS}/msi/resource-manager/Microsoft.ManagedIdentity/stable/2023-01-31/ManagedIdentity.json`,
  'Microsoft.OperationalInsights/workspaces@2023-09-01': `${SPECS}/operationalinsights/resource-manager/Microsoft.OperationalInsights/stable/2023-09-01/Workspaces.json`,
  'Microsoft.Insights/components@2020-02-02': `${SPECS}/applicationinsights/resource-manager/Microsoft.Insights/stable/2020-02-02/components_API.json`,
  'Microsoft.Insights/workbooks@2023-06-01': `${SPECS}/applicationinsights/resource-manager/Microsoft.Insights/stable/2023-06-01/workbooks_API.json`,
  'Microsoft.Insights/actionGroups@2023-01-01': `${SPECS}/monitor/resource-manager/Microsoft.Insights/stable/2023-01-01/actionGroups_API.json`,
  'Microsoft.Insights/scheduledQueryRules@2023-12-01': `${SPECS}/monitor/resource-manager/Microsoft.Insights/stable/2023-12-01/scheduledQueryRule_API.json`,
  'Microsoft.Insights/metricAlerts@2018-03-01': `${SPECS}/monitor/resource-manager/Microsoft.Insights/stable/2018-03-01/metricAlert_API.json`,
  'Microsoft.Storage/storageAccounts@2023-05-01': `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01`,
  'Microsoft.Storage/storageAccounts/blobServices@2023-05-01': `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01`,
  'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01': `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01 (BlobContainersPutObjectLevelWorm example)`,
  'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01': `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01 (BlobContainersExtendImmutabilityPolicy example)`,
  'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01': `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01 (StorageAccountSetManagementPolicy example)`,
  'Microsoft.Storage/storageAccounts/queueServices@2023-05-01': `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01 (QueueServicesPut example)`,
  'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01': `${SPECS}/storage/resource-manager/Microsoft.Storage/stable/2023-05-01 (QueueOperationPut example)`,
  'Microsoft.Web/serverfarms@2024-04-01': `${SPECS}/web/resource-manager/Microsoft.Web/AppService/stable/2024-04-01/AppServicePlans.json`,
  'Microsoft.Web/sites@2024-04-01': `${SPECS}/web/resource-manager/Microsoft.Web/AppService/stable/2024-04-01/WebApps.json (functionAppConfig: Flex Consumption)`,
  'Microsoft.Web/sites/config@2024-04-01': `${SPECS}/web/resource-manager/Microsoft.Web/AppService/stable/2024-04-01/WebApps.json (UpdateApplicationSettings, ListApplicationSettings)`,
  // listKeys('<site>/functions/<name>', ...): WebApps_ListFunctionKeys, POST .../functions/{functionName}/listkeys
  'Microsoft.Web/sites/functions@2024-04-01': `${SPECS}/web/resource-manager/Microsoft.Web/AppService/stable/2024-04-01/WebApps.json (ListFunctionKeys)`,
  'Microsoft.Communication/communicationServices@2025-05-01': `${SPECS}/communication/resource-manager/Microsoft.Communication/Communication/stable/2025-05-01/CommunicationServices.json (immutableResourceId: readOnly)`,
  'Microsoft.EventGrid/systemTopics@2022-06-15': `${SPECS}/eventgrid/resource-manager/Microsoft.EventGrid/stable/2022-06-15/EventGrid.json`,
  'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15': `${SPECS}/eventgrid/resource-manager/Microsoft.EventGrid/stable/2022-06-15/EventGrid.json (SystemTopicEventSubscriptions_CreateOrUpdate example)`,
  'Microsoft.Authorization/roleAssignments@2022-04-01': `${SPECS}/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleAssignmentsCalls.json`,
  'Microsoft.Authorization/roleDefinitions@2022-04-01': `${SPECS}/authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/authorization-RoleDefinitionsCalls.json (PutRoleDefinition example)`,
  // FTP and SCM basic auth off: WebApps_UpdateFtpAllowed / UpdateScmAllowed (CsmPublishingCredentialsPoliciesEntity,
  // `allow`); https://learn.microsoft.com/azure/app-service/configure-basic-auth-disable
  'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01': `${SPECS}/web/resource-manager/Microsoft.Web/AppService/stable/2024-04-01/WebApps.json (UpdateFtpAllowed, UpdateScmAllowed)`,
  // NOTE: no stable api-version of diagnostic settings newer than 2016-09-01 exists; 2021-05-01-preview is the one
  // Microsoft's own templates use (workspaceId, logs[].category). Categories of blobServices: StorageRead,
  // StorageWrite, StorageDelete, all into StorageBlobLogs
  // (https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-storage-storageaccounts-blobservices-logs).
  'Microsoft.Insights/diagnosticSettings@2021-05-01-preview': `${SPECS}/monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/diagnosticsSettings_API.json`,
  // storagePublicNetworkAccess = Restricted (app/network.bicep, app/private-endpoints.bicep).
  'Microsoft.Network/virtualNetworks@2024-05-01': `${SPECS}/network/resource-manager/Microsoft.Network/stable/2024-05-01/virtualNetwork.json`,
  'Microsoft.Network/privateEndpoints@2024-05-01': `${SPECS}/network/resource-manager/Microsoft.Network/stable/2024-05-01/privateEndpoint.json`,
  'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01': `${SPECS}/network/resource-manager/Microsoft.Network/stable/2024-05-01/privateEndpoint.json (PrivateDnsZoneGroups_CreateOrUpdate)`,
  'Microsoft.Network/privateDnsZones@2020-06-01': `${SPECS}/privatedns/resource-manager/Microsoft.Network/stable/2020-06-01/privatedns.json`,
  'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01': `${SPECS}/privatedns/resource-manager/Microsoft.Network/stable/2020-06-01/privatedns.json (VirtualNetworkLinks_CreateOrUpdate)`,
};

/** Api-versions a preview is accepted for, because no stable one serves the purpose (each says why above). */
export const PREVIEW_API_VERSIONS = new Set(['Microsoft.Insights/diagnosticSettings@2021-05-01-preview']);

/** The Learn reference page of a listed type@version, for the README and failure messages. */
export function referenceFor(typeAtVersion: string): string {
  const [type = '', apiVersion = ''] = typeAtVersion.split('@');
  return templateReference(type, apiVersion);
}

const STORAGE_ROLES = 'https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage';

/** Built-in role definition ids the templates may assign, with the page that publishes each. */
export const BUILT_IN_ROLES: Record<string, { id: string; source: string }> = {
  'Storage Blob Data Owner': { id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', source: STORAGE_ROLES },
  'Storage Blob Data Contributor': { id: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe', source: STORAGE_ROLES },
  'Storage Blob Data Reader': { id: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1', source: STORAGE_ROLES },
  'Storage Blob Delegator': { id: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a', source: STORAGE_ROLES },
  'Storage Queue Data Contributor': { id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88', source: STORAGE_ROLES },
  'Storage Queue Data Message Sender': { id: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a', source: STORAGE_ROLES },
  'Storage Table Data Contributor': { id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', source: STORAGE_ROLES },
  'Monitoring Metrics Publisher': {
    id: '3913510d-42f4-4e42-8a64-420c390055eb',
    source: 'https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/monitor',
  },
  // Listed under Azure built-in roles (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles);
  // its use for Call Automation with Entra ID is not confirmed by a Microsoft page: see infra/app/acs-access.bicep.
  // Kept instead of a custom role because Microsoft.Communication publishes no data actions to build one from
  // (MICROSOFT_COMMUNICATION_DATA_ACTIONS below).
  'Communication and Email Service Owner': {
    id: '09976791-48a7-449e-bb21-39d1a415f350',
    source:
      'https://learn.microsoft.com/azure/role-based-access-control/built-in-roles (verify: az role definition list --name "Communication and Email Service Owner" --query [].name)',
  },
};

/**
 * Storage permissions the custom roles may use, with what each allows. Source: the Microsoft.Storage list of
 * https://learn.microsoft.com/azure/role-based-access-control/permissions/storage and the operation -> permission map
 * of https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory.
 */
export const STORAGE_PERMISSIONS: Record<string, string> = {
  'Microsoft.Storage/storageAccounts/blobServices/containers/read': 'Get Container Properties, List Blobs',
  'Microsoft.Storage/storageAccounts/blobServices/containers/write': 'Create Container (createIfNotExists)',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read': 'Get Blob, Get Blob Properties',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write':
    'Put Blob, Put Block List, Set Blob Metadata',
  'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action': 'Put Block, Append Block',
  'Microsoft.Storage/storageAccounts/queueServices/queues/read': 'Get Queue Metadata (approximate message count)',
  'Microsoft.Storage/storageAccounts/queueServices/queues/messages/read': 'Peek Messages',
  'Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action': 'Get Messages, Delete Message',
  'Microsoft.Storage/storageAccounts/queueServices/queues/messages/write': 'Update Message (visibility)',
  'Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action': 'Put Message',
};

/** Environment values azd itself provides to hooks (not outputs of main.bicep). */
export const AZD_ENVIRONMENT = {
  AZURE_ENV_NAME:
    'the azd environment name (https://learn.microsoft.com/azure/developer/azure-developer-cli/manage-environment-variables)',
  AZURE_SUBSCRIPTION_ID:
    'the subscription azd provisions into, asked by `azd up` or set with `azd env set` (same page); every az call of the hooks names it',
};

/**
 * The data actions Microsoft.Communication publishes, from which a custom role for Call Automation recording (start,
 * stop, state, download) could be made: none. The provider's operations
 * (https://learn.microsoft.com/azure/role-based-access-control/permissions/integration#microsoftcommunication) are
 * control-plane actions only (CommunicationServices/Read, Write, Delete, ListKeys/action, RegenerateKey/action,
 * LinkNotificationHub/action, EventGridFilters/*, EmailServices/*). Add one here, with its source, before any template
 * uses it: the infra tests refuse a Microsoft.Communication data action that is not listed.
 */
export const MICROSOFT_COMMUNICATION_DATA_ACTIONS: Record<string, string> = {};

/**
 * Columns of the StorageBlobLogs table (the blob service's resource logs in Log Analytics) that queries may read:
 * https://learn.microsoft.com/azure/azure-monitor/reference/tables/storagebloblogs. ConditionsUsed holds
 * `ConditionName=value` pairs separated by ';' (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since), as in
 * https://learn.microsoft.com/rest/api/storageservices/storage-analytics-log-format.
 */
export const STORAGE_BLOB_LOG_COLUMNS = new Set([
  'TimeGenerated',
  'AccountName',
  'Category',
  'OperationName',
  'StatusText',
  'StatusCode',
  'ObjectKey',
  'Uri',
  'ConditionsUsed',
  'RequesterObjectId',
  'AuthenticationType',
  'CallerIpAddress',
]);

/**
 * Blob write operations as the logs name them: those Microsoft's own WebJobs SDK counts as blob writes
 * (StorageAnalyticsLogEntry.IsBlobWrite, Azure/azure-webjobs-sdk: ClearPage, CopyBlob, CopyBlobDestination, PutBlob,
 * PutBlockList, PutPage, SetBlobMetadata, SetBlobProperties), and AppendBlock; each in the list of
 * https://learn.microsoft.com/rest/api/storageservices/storage-analytics-logged-operations-and-status-messages.
 */
export const BLOB_WRITE_OPERATIONS = new Set([
  'PutBlob',
  'PutBlockList',
  'CopyBlob',
  'CopyBlobDestination',
  'PutPage',
  'ClearPage',
  'AppendBlock',
  'SetBlobMetadata',
  'SetBlobProperties',
]);
