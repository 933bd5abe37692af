// Event Grid subscriptions from the Communication Services system topic to the deployed functions.
// Deployed into the system topic's resource group AFTER the code (infra/scripts/postdeploy.*): creating a
// subscription validates its endpoint, and the functions exist only once the package is deployed. Idempotent:
// re-running updates the same two subscriptions (and role assignment) in place.
// Names carry the azd environment name: two environments on one ACS resource (say dev and prod sharing a topic)
// each get their own pair of subscriptions instead of overwriting each other's.
// It also gives the app its role on an EXISTING Communication Services resource: main.bicep writes only into its
// own resource group, so that `azd down` never deletes a resource group it did not create (see main.bicep).

@description('Name of the azd environment (AZURE_ENV_NAME): part of every subscription and deployment name.')
@minLength(1)
param environmentName string

@description('Name of the Event Grid system topic on the Communication Services resource.')
param systemTopicName string

param functionAppName string

@description('Resource group of the function app; default this deployment\'s resource group.')
param functionAppResourceGroup string = resourceGroup().name

@description('Storage account holding the dead-letter container (the archive account).')
param deadLetterStorageAccountName string

param deadLetterStorageResourceGroup string = resourceGroup().name

param deadLetterContainerName string = 'eventgrid-deadletter'

// Retry (https://learn.microsoft.com/azure/event-grid/delivery-and-retry): after a failed or unanswered (30 s)
// delivery Event Grid retries after 10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h, with
// some randomization, and may skip retries to an endpoint it considers unhealthy. The 11th attempt comes about 23 h
// after the first and the 12th about 35 h after, so about 11 attempts fit into the default 24 h time to live: the
// attempt cap (at most 30) never binds for recording files, the time to live does.
// The time to live is checked only at the next scheduled attempt, so an event is dead-lettered at the first attempt
// after its TTL (and about 5 minutes later its blob appears), not at the TTL itself. Not retried at all: 400 and 413,
// 403, and for WebHooks 401 (a wrong ?code= key dead-letters every call event at once).
@minValue(1)
@maxValue(30)
@description('Delivery attempts for recording-file events; the 24 h time to live ends them first (about 11 attempts).')
param archiveMaxDeliveryAttempts int = 30

@minValue(1)
@maxValue(30)
@description('Delivery attempts for call started/ended events: the 10th attempt comes about 11 h after the first.')
param callEventsMaxDeliveryAttempts int = 10

@description('Assign the app its role on the Communication Services resource (true when it existed before main.bicep).')
param grantAcsAccess bool = false

param communicationServiceName string = ''

param communicationServiceResourceGroup string = resourceGroup().name

@description('Principal (object) id of the function app\'s user-assigned identity; required with grantAcsAccess.')
param appPrincipalId string = ''

// azd environment names may contain characters an event subscription name may not (3-64: letters, digits, hyphens).
var environmentSuffix = toLower(take(replace(replace(replace(replace(environmentName, '_', '-'), '.', '-'), '(', '-'), ')', '-'), 40))
var archiveSubscriptionName = 'archive-files-${environmentSuffix}'
var callEventsSubscriptionName = 'call-events-${environmentSuffix}'

module acsAccess 'app/acs-access.bicep' = if (grantAcsAccess) {
  // Per environment: two environments on one ACS resource deploy into the same resource group.
  name: 'acsAccess-${uniqueString(environmentName, communicationServiceResourceGroup, communicationServiceName)}'
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
// in any URL: Event Grid resolves the function through Azure Resource Manager when the subscription is created
// (with the deployer's rights) and calls the Functions host's Event Grid webhook with the system key itself. One
// event per delivery, so one recording's acknowledgement never waits behind another's. Retry: until the 24 h time to
// live, which is also how long ACS keeps the files, so retrying longer could not help (about 11 attempts, see above);
// whatever is still undelivered then is dead-lettered, where `redrive`, the dead-letter alert and the sweep's
// deadline report make it visible.
resource archiveSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: archiveSubscriptionName
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

// CallStarted / CallEnded -> callEvents (HTTP POST /api/call-events, authLevel function) as a WebHook. The URL
// carries callEvents' OWN function key (POST .../functions/callEvents/listkeys), never the host's default or master
// key, which would open every function: read inside Azure Resource Manager at deployment time, never output,
// stored by Event Grid, which does not return it. The Event Grid handshake (SubscriptionValidation) is answered by
// the function itself. Fewer attempts (10: the last about 11 hours after the first) than for recordings: a
// CallStarted hours late starts nothing useful, and an undelivered CallEnded is visible in the dead-letter container.
resource callEventsSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: callEventsSubscriptionName
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/api/call-events?code=${listKeys('${functionApp.id}/functions/callEvents', '2024-04-01').default}'
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

// Names only (the callEvents URL with its key is never output).
output archiveSubscriptionName string = archiveSubscription.name
output callEventsSubscriptionName string = callEventsSubscription.name
