// Alerts for the people who run the archiver: log search alerts on the app's telemetry lines (`Name {json}`, see
// shared/telemetry.ts) in Application Insights, and metric alerts on the Event Grid system topic. Each query lives in
// infra/monitoring/*.kql (test/infra checks every event name and field it reads against TELEMETRY_FIELDS).
// Stateful alerts (autoMitigate): one notification when a condition starts, one when it clears, not one per run.

param location string
param tags object = {}

@description('Name of the Application Insights component the app logs to.')
param applicationInsightsName string

@description('Resource id of the Event Grid system topic on the ACS resource (may be in another resource group).')
param systemTopicId string

@description('E-mail address alerts are sent to; empty: alerts fire (portal, Azure Monitor) but nobody is mailed.')
param alertEmailAddress string = ''

@minValue(1)
@maxValue(24)
@description('Alert when an archive is this many hours or fewer from its deadline and still not complete.')
param nearDeadlineHours int = 6

@description('Short name for the resources, e.g. the resource token.')
param nameSuffix string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmailAddress)) {
  name: 'ag-archiver-${nameSuffix}'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'archiver'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmailAddress
        useCommonAlertSchema: true
      }
    ]
  }
}

var actions = empty(alertEmailAddress)
  ? {}
  : {
      actionGroups: [
        actionGroup.id
      ]
    }

// One log alert per query. `dimensions` split the alert per recording (or per operation), so two recordings at risk
// are two alerts, each resolved on its own. Window 15 minutes every 5 minutes: Application Insights ingestion takes a
// few minutes, so a window as short as the frequency could miss a line; a stateful alert does not notify twice.
var logAlerts = [
  {
    name: 'near-deadline'
    displayName: 'Archive near its deadline'
    description: 'An archive is still not complete and its source files expire within ${nearDeadlineHours} h. Look at `status`; the sweeper re-enqueues its chunks, `retry <callId>` does it at once.'
    severity: 1
    query: 'let nearDeadlineHours = ${nearDeadlineHours};\n${loadTextContent('../monitoring/alert-near-deadline.kql')}'
    dimensions: ['callId', 'recordingKey']
  }
  {
    name: 'recording-failed'
    displayName: 'Recording archive failed'
    description: 'A recording was marked failed: a chunk expired at the source, a location was refused, or its deadline passed. Nothing retries it by itself.'
    severity: 1
    query: loadTextContent('../monitoring/alert-recording-failed.kql')
    dimensions: ['callId', 'recordingKey', 'failureCode']
  }
  {
    name: 'poison'
    displayName: 'Chunk copies in the poison queue'
    description: 'Chunk copies failed maxDequeueCount times and went to the poison queue. The chunks stay pending; the sweeper retries until the deadline, `retry <callId>` at once.'
    severity: 2
    query: loadTextContent('../monitoring/alert-poison.kql')
    dimensions: ['callId', 'recordingKey']
  }
  {
    name: 'acs-access-denied'
    displayName: 'ACS access denied (401/403)'
    description: 'ACS refused the app (401/403) on start, download or delete: check the app\'s role on the ACS resource (README "Operating"). Recordings are at risk until fixed.'
    severity: 1
    query: loadTextContent('../monitoring/alert-acs-access-denied.kql')
    dimensions: ['operation', 'status']
  }
  {
    name: 'sender-check-off'
    displayName: 'A sender check is off'
    description: 'The app runs without ACS_RESOURCE_ID or ACS_IMMUTABLE_RESOURCE_ID (someone changed its settings): forged Event Grid events are obeyed, or every Call Automation callback is refused. Set them back (docs/security.md).'
    severity: 1
    query: loadTextContent('../monitoring/alert-sender-check-off.kql')
    dimensions: ['check', 'setting']
  }
]

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in logAlerts: {
    name: 'alert-archiver-${alert.name}-${nameSuffix}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: alert.displayName
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        applicationInsights.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            dimensions: [
              for dimension in alert.dimensions: {
                name: dimension
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
      actions: actions
    }
  }
]

// Dead letters. The app logs nothing when Event Grid gives up on a delivery (it never saw the event), so this is a
// metric alert on the system topic instead of a query: DeadLetteredCount counts every event written to the
// dead-letter container (`eventgrid-deadletter/<SUBSCRIPTION>/YYYY/M/D/H/<guid>.json`, about 5 minutes after the last
// attempt), i.e. exactly the blobs `redrive` reads; DroppedEventCount counts events lost because even dead-lettering
// failed (e.g. the topic identity lost its role). Metric names: Microsoft.EventGrid/systemTopics in
// https://learn.microsoft.com/azure/azure-monitor/reference/supported-metrics/microsoft-eventgrid-systemtopics-metrics
var topicAlerts = [
  {
    name: 'dead-letters'
    description: 'Event Grid dead-lettered events for the archiver (recording files or call events). Fix the cause, then run `redrive`: the blobs stay in the dead-letter container until then.'
    metricName: 'DeadLetteredCount'
    severity: 1
  }
  {
    name: 'dropped-events'
    description: 'Event Grid dropped events it could not even dead-letter. They are lost: check the topic identity\'s role on the dead-letter container.'
    metricName: 'DroppedEventCount'
    severity: 0
  }
]

resource topicAlertRules 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for alert in topicAlerts: {
    name: 'alert-archiver-${alert.name}-${nameSuffix}'
    location: 'global'
    tags: tags
    properties: {
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        systemTopicId
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            name: alert.metricName
            criterionType: 'StaticThresholdCriterion'
            metricNamespace: 'Microsoft.EventGrid/systemTopics'
            metricName: alert.metricName
            dimensions: [
              {
                name: 'EventSubscriptionName'
                operator: 'Include'
                values: ['*']
              }
            ]
            operator: 'GreaterThan'
            threshold: 0
            timeAggregation: 'Total'
          }
        ]
      }
      autoMitigate: true
      actions: empty(alertEmailAddress)
        ? []
        : [
            {
              actionGroupId: actionGroup.id
            }
          ]
    }
  }
]

output logAlertNames array = [for (alert, i) in logAlerts: logAlertRules[i].name]
output actionGroupName string = empty(alertEmailAddress) ? '' : actionGroup.name
