// Post-deploy (infra/scripts/postdeploy.*): sets RECORDING_STATE_CALLBACK_URL to the recordingState function's URL
// with that function's OWN key (never the host's default or master key). It runs after the code is deployed because
// a function's key exists only once the function does. The key is read and written inside Azure Resource Manager:
// it never passes through the script, a shell variable, a log or an output. Later `azd provision` runs carry the URL
// set here over (main.bicep reads it from the app's settings; app/function.bicep writes it back), so this setting is
// never lost, and no provisioning reads a function key.
// Deployed into the function app's resource group.

param functionAppName string

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// PUT .../config/appsettings replaces every setting: merge into the current ones (POST .../config/appsettings/list),
// passed as a module parameter so that they are read before the write.
module settings 'app/merge-app-settings.bicep' = {
  name: 'callbackUrl-${uniqueString(functionAppName)}'
  params: {
    functionAppName: functionAppName
    currentSettings: list('${functionApp.id}/config/appsettings', '2024-04-01').properties
    newSettings: {
      RECORDING_STATE_CALLBACK_URL: 'https://${functionApp.properties.defaultHostName}/api/recording-state?code=${listKeys('${functionApp.id}/functions/recordingState', '2024-04-01').default}'
    }
  }
}
