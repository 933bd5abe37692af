// The alert on the archive account's own logs (not the app's telemetry, alerts.bicep): a chunk blob written other than
// the way the archiver writes it (monitoring/alert-chunk-overwrite.kql says how that is told). The logs are the blob
// service's StorageWrite category, sent to the workspace by the diagnostic setting of archive-storage.bicep, so the
// rule runs over the Log Analytics workspace. Stateful like the others: one notification when it starts, one when it
// clears.

param location string
param tags object = {}

@description('Short name for the resources, e.g. the resource token.')
param nameSuffix string

@description('Resource id of the Log Analytics workspace that holds StorageBlobLogs.')
param logAnalyticsWorkspaceId string

@description('Name of the archive storage account (its AccountName in the logs).')
param archiveStorageAccountName string

@description('Principal (object) id of the app\'s identity: the only writer of chunk blobs.')
param appPrincipalId string

@description('Name of the alerts\' action group (alerts.bicep); empty: the alert fires without mail.')
param actionGroupName string = ''

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' existing = if (!empty(actionGroupName)) {
  name: actionGroupName
}

resource chunkOverwrite 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: 'alert-archiver-chunk-overwrite-${nameSuffix}'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'A chunk of the archive was overwritten'
    description: 'A chunk blob (media or metadata) of the archive was written unconditionally or by another identity than the app\'s: an archived recording may have been replaced. Its previous version holds the original (docs/security.md).'
    severity: 0
    enabled: true
    scopes: [
      logAnalyticsWorkspaceId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      allOf: [
        {
          query: 'let archiveAccount = \'${archiveStorageAccountName}\';\nlet appPrincipalId = \'${appPrincipalId}\';\n${loadTextContent('../monitoring/alert-chunk-overwrite.kql')}'
          timeAggregation: 'Count'
          dimensions: [
            {
              name: 'ObjectKey'
              operator: 'Include'
              values: ['*']
            }
            {
              name: 'RequesterObjectId'
              operator: 'Include'
              values: ['*']
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: empty(actionGroupName)
      ? {}
      : {
          actionGroups: [
            actionGroup.id
          ]
        }
  }
}

output alertName string = chunkOverwrite.name
