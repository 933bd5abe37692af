// Log Analytics + workspace-based Application Insights, both with local (key) authentication disabled: telemetry is
// accepted only from callers with a Microsoft Entra token (the app's identity holds Monitoring Metrics Publisher).

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

param location string
param tags object = {}

@minValue(30)
@maxValue(730)
@description('Days Log Analytics keeps logs (30 is included in the price).')
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // NOTE: with local auth off, the instrumentation key in the connection string is not a credential any more:
    // ingestion needs APPLICATIONINSIGHTS_AUTHENTICATION_STRING (Entra) as well.
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
output logAnalyticsName string = logAnalytics.name
output logAnalyticsId string = logAnalytics.id
