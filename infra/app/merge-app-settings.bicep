// Writes a function app's settings as the union of the current ones and new ones (callback-url.bicep). A module of
// its own so that the current settings are read (by the caller) before this PUT replaces them.

param functionAppName string

@secure()
@description('The app\'s current settings (they include secrets such as the callback URL; never output).')
param currentSettings object

@secure()
@description('Settings to add or replace.')
param newSettings object

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: union(currentSettings, newSettings)
}
