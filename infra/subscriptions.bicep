// Event Grid subscriptions from the Communication Services system topic to the deployed functions.
// Deployed into the system topic's resource group AFTER the code (infra/scripts/postdeploy.*): creating a
// subscription validates its endpoint, and the functions exist only once the package is deployed. Idempotent:
// re-running updates the same two subscriptions (and role assignment) in place.
// It also gives the app its role on an EXISTING Communication Services resource: main.bicep writes only into its
// own resource group, so that `azd down` never deletes a resource group it did not create (see main.bicep).

@description('Name of the Event Grid system topic on the Communication Services resource.')
param systemTopicName string

param functionAppName string

@description('Resource group of the function app; default this deployment\'s resource group.')
param functionAppResourceGroup string = resourceGroup().name

@description('Storage account holding the dead-letter container (the archive account).')
param deadLetterStorageAccountName string

param deadLetterStorageResourceGroup string = resourceGroup().name

param deadLetterContainerName string = 'eventgrid-deadletter'

@minValue(1)
@maxValue(30)
@description('Delivery attempts for recording-file events before dead-lettering.')
param archiveMaxDeliveryAttempts int = 30

@minValue(1)
@maxValue(30)
@description('Delivery attempts for call started/ended events before dead-lettering.')
param callEventsMaxDeliveryAttempts int = 10

@description('Assign the app its role on the Communication Services resource (true when it existed before main.bicep).')
param grantAcsAccess bool = false

param communicationServiceName string = ''

param communicationServiceResourceGroup string = resourceGroup().name

@description('Principal (object) id of the function app\'s user-assigned identity; required with grantAcsAccess.')
param appPrincipalId string = ''

module acsAccess 'app/acs-access.bicep' = if (grantAcsAccess) {
  name: 'acsAccess-${uniqueString(communicationServiceResourceGroup, communicationServiceName)}'
  scope: resourceGroup(communicationServiceResourceGroup)
  params: {
    communicationServiceName: communicationServiceName
    appPrincipalId: appPrincipalId
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
  scope: resourceGroup(functionAppResourceGroup)
}

resource deadLetterStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: deadLetterStorageAccountName
  scope: resourceGroup(deadLetterStorageResourceGroup)
}

// Dead letters are written by the topic's system-assigned identity (Storage Blob Data Contributor on the container,
// rbac.bicep): the account accepts no keys. Layout: <container>/<SUBSCRIPTION-NAME>/YYYY/M/D/H/<guid>.json.
var deadLetter = {
  identity: {
    type: 'SystemAssigned'
  }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: {
      resourceId: deadLetterStorage.id
      blobContainerName: deadLetterContainerName
    }
  }
}

// RecordingFileStatusUpdated -> archiveRecording (Event Grid trigger). The AzureFunction endpoint type needs no key
// in any URL: Event Grid resolves the function through Azure Resource Manager. One event per delivery, so one
// recording's archive never waits behind another's. Retry: every attempt Event Grid allows (30) within 24 hours,
// which is also how long ACS keeps the files, so retrying longer could not help; whatever is still undelivered then
// is dead-lettered, where `redrive` and the sweep's deadline report make it visible.
resource archiveSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'archive-recording-files'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/archiveRecording'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.RecordingFileStatusUpdated'
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: archiveMaxDeliveryAttempts
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: deadLetter
  }
}

// CallStarted / CallEnded -> callEvents (HTTP POST /api/call-events) as a WebHook. The URL carries the host's
// default function key (read at deployment time, never output; Event Grid stores it and does not return it), so
// it works whatever auth level callEvents uses. The Event Grid handshake (SubscriptionValidation) is answered by
// the function itself. Fewer attempts (10: about 11 hours of backoff) than for recordings: a CallStarted hours late
// starts nothing useful, and an undelivered CallEnded is visible in the dead-letter container.
// NOTE: to avoid a key in the URL, make callEvents anonymous and protect it with App Service authentication (Entra),
// then set azureActiveDirectoryTenantId and azureActiveDirectoryApplicationIdOrUri on this destination.
resource callEventsSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'call-events'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/api/call-events?code=${listKeys('${functionApp.id}/host/default', '2024-04-01').functionKeys.default}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.CallStarted'
        'Microsoft.Communication.CallEnded'
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: callEventsMaxDeliveryAttempts
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: deadLetter
  }
}

output archiveSubscriptionName string = archiveSubscription.name
output callEventsSubscriptionName string = callEventsSubscription.name
