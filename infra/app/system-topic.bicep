// The Event Grid system topic on the Communication Services resource. Only one system topic may exist per source
// resource: when one already exists, main.bicep uses it (existingSystemTopicName) and this module is skipped.

param name string
param tags object = {}

@description('Resource id of the Communication Services resource the events come from.')
param sourceResourceId string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  // NOTE: ACS is a global resource, so its system topic must be 'global' too.
  location: 'global'
  tags: tags
  // The topic's own identity writes undeliverable events to the dead-letter container (no storage key involved).
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: sourceResourceId
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

output name string = systemTopic.name
output id string = systemTopic.id
output principalId string = systemTopic.identity.principalId
