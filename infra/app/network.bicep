// Only with storagePublicNetworkAccess = 'Restricted' (main.bicep): a virtual network for the function app, and
// private endpoints through which it reaches its two storage accounts, whose firewalls then deny the internet.
// - The app's outbound traffic goes through `snet-app` (Flex Consumption virtual network integration: a subnet of its
//   own, delegated to Microsoft.App/environments, used for nothing else:
//   https://learn.microsoft.com/azure/azure-functions/flex-consumption-how-to#enable-virtual-network-integration).
// - The storage accounts are reached through private endpoints in `snet-private-endpoints`, with the privatelink DNS
//   zones linked to the network so that the accounts' usual host names resolve to them (the pattern of Microsoft's
//   Flex Consumption quickstart, Azure-Samples/functions-quickstart-javascript-azd, infra/app/storage-PrivateEndpoint.bicep):
//   blob, queue and table of the runtime account (the host, the chunk queue), blob of the archive account.
// The endpoints themselves are made by private-endpoints.bicep once both accounts exist (the app's subnet must exist
// before the app, the runtime account only with it).
// Costs: each private endpoint is billed by the hour (4 here) plus per GB processed, each private DNS zone by the month
// (3 here); the network itself is free. See docs/deploy.md.

param location string
param tags object = {}

@description('Name of the virtual network.')
param name string

@description('Address space of the network; the two subnets take its first two /24s.')
param addressPrefix string = '10.20.0.0/16'

var appSubnetName = 'snet-app'
var privateEndpointSubnetName = 'snet-private-endpoints'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: appSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

var zoneServices = ['blob', 'queue', 'table']

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for service in zoneServices: {
    name: 'privatelink.${service}.${environment().suffixes.storage}'
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (service, i) in zoneServices: {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

// The subnet the function app joins (function.bicep: virtualNetworkSubnetId).
output appSubnetId string = '${vnet.id}/subnets/${appSubnetName}'
output privateEndpointSubnetId string = '${vnet.id}/subnets/${privateEndpointSubnetName}'
// Zone ids by storage service, for private-endpoints.bicep.
output blobZoneId string = zones[0].id
output queueZoneId string = zones[1].id
output tableZoneId string = zones[2].id
