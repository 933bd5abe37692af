// An Azure Monitor workbook for the people who run the archiver, on Application Insights: archives by status, the
// oldest pending archive against its deadline, copy throughput and acknowledgement latency, failures by failureCode,
// recording starts and stops. The queries are infra/monitoring/workbook-*.kql (test/infra checks their event names
// and fields against shared/telemetry.ts). Portal: Monitor > Workbooks, or the resource group's "Workbooks".

param location string
param tags object = {}

param applicationInsightsName string

@description('Seeds the workbook\'s name (a GUID) so that each environment has its own.')
param environmentName string

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// The query tiles (Notebook/1.0 schema; `timeContextFromParameter` applies the time range picker).
var tiles = [
  {
    name: 'archives-by-status'
    title: 'Archives by status'
    query: loadTextContent('../monitoring/workbook-archives-by-status.kql')
    visualization: 'piechart'
  }
  {
    // A grid, not a chart: the oldest deadline is a datetime, which a timechart cannot draw (it plots numbers over
    // timestamp); the grid shows it next to the hours left, newest sweep first.
    name: 'oldest-pending'
    title: 'Pending archives and the oldest deadline (hours left)'
    query: loadTextContent('../monitoring/workbook-oldest-pending.kql')
    visualization: 'table'
  }
  {
    name: 'throughput'
    title: 'Copy throughput (MB/s per chunk) and GB archived'
    query: loadTextContent('../monitoring/workbook-throughput.kql')
    visualization: 'timechart'
  }
  {
    name: 'ack-latency'
    title: 'Event Grid acknowledgement latency (ms)'
    query: loadTextContent('../monitoring/workbook-ack-latency.kql')
    visualization: 'timechart'
  }
  {
    name: 'failures'
    title: 'Failures by failureCode'
    query: loadTextContent('../monitoring/workbook-failures.kql')
    visualization: 'table'
  }
  {
    name: 'recording-control'
    title: 'Recording starts and stops'
    query: loadTextContent('../monitoring/workbook-recording-control.kql')
    visualization: 'barchart'
  }
]

var queryItems = map(tiles, tile => {
  type: 3
  name: tile.name
  content: {
    version: 'KqlItem/1.0'
    title: tile.title
    query: tile.query
    size: 0
    queryType: 0
    resourceType: 'microsoft.insights/components'
    timeContextFromParameter: 'TimeRange'
    visualization: tile.visualization
  }
})

var workbook = {
  version: 'Notebook/1.0'
  items: concat([
    {
      type: 1
      name: 'intro'
      content: {
        json: '## Call recording archiver\nEvery tile reads the app\'s telemetry lines (`Name {json}`, shared/telemetry.ts) from `traces`. Sources expire 24 h after a recording; the sweeper reports archives near their deadline every 5 minutes. CLI: `npx call-recording-archiver status`.'
      }
    }
    {
      type: 9
      name: 'parameters'
      content: {
        version: 'KqlParameterItem/1.0'
        parameters: [
          {
            id: 'time-range'
            version: 'KqlParameterItem/1.0'
            name: 'TimeRange'
            label: 'Time range'
            type: 4
            isRequired: true
            value: {
              durationMs: 86400000
            }
            typeSettings: {
              selectableValues: [
                {
                  durationMs: 3600000
                }
                {
                  durationMs: 14400000
                }
                {
                  durationMs: 86400000
                }
                {
                  durationMs: 259200000
                }
                {
                  durationMs: 604800000
                }
                {
                  durationMs: 2592000000
                }
              ]
            }
          }
        ]
      }
    }
  ], queryItems)
  fallbackResourceIds: [
    applicationInsights.id
  ]
}

resource archiverWorkbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID.
  name: guid(resourceGroup().id, environmentName, 'call-recording-archiver-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Call recording archiver (${environmentName})'
    category: 'workbook'
    sourceId: toLower(applicationInsights.id)
    serializedData: string(workbook)
    version: 'Notebook/1.0'
  }
}

output workbookName string = archiverWorkbook.name
