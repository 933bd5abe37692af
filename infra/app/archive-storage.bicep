// The customer's archive: recordings, the app's control state and Event Grid dead letters, in one hardened account.
// No keys: shared-key access is off, so every caller (the app, the Event Grid topic, an operator) uses Microsoft
// Entra ID and a role assignment (see rbac.bicep).

param name string
param location string
param tags object = {}

@allowed(['Standard_LRS', 'Standard_GRS', 'Standard_RAGRS', 'Standard_ZRS', 'Standard_GZRS', 'Standard_RAGZRS'])
@description('Redundancy. NOTE: the archive access tier is not available on ZRS, GZRS or RA-GZRS accounts.')
param skuName string = 'Standard_GRS'

@description('Container of the archived recordings (ARCHIVE_CONTAINER).')
param archiveContainerName string

@description('Container of the app\'s control state: which call has which recording (CONTROL_CONTAINER).')
param controlContainerName string

@description('Container Event Grid writes undeliverable events to.')
param deadLetterContainerName string

@minValue(1)
@maxValue(365)
@description('Days a deleted blob or container can be restored (soft delete).')
param softDeleteRetentionDays int = 14

@minValue(0)
@description('Move archive blobs to the cool tier this many days after their last write; 0 = never.')
param coolAfterDays int = 30

@minValue(0)
@description('Move archive blobs to the cold tier this many days after their last write; 0 = never. Must exceed coolAfterDays.')
param coldAfterDays int = 90

@minValue(0)
@description('Move chunk blobs tagged archiveTier=allowed to the offline archive tier after this many days; 0 = never.')
param archiveTierAfterDays int = 0

@minValue(0)
@description('Delete previous blob versions (left by manifest and control-state rewrites) after this many days; 0 = keep.')
param previousVersionRetentionDays int = 90

@description('Turn on version-level WORM immutability for the archive container. Cannot be turned off once on.')
param enableImmutability bool = false

@minValue(1)
@maxValue(146000)
@description('Days every blob version in the archive container stays immutable when enableImmutability is true.')
param immutabilityPeriodDays int = 365

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    // Versioning keeps every earlier state of a rewritten manifest; it is also required by version-level WORM.
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteRetentionDays
    }
  }
}

// NOTE on WORM and manifests: manifest.json is rewritten (pending -> complete, new event ids), so a classic
// container-level time-based retention policy would refuse those overwrites and break archiving. Version-level
// immutability is used instead: every blob *version* is immutable for immutabilityPeriodDays, while overwriting a
// blob is still allowed and creates a new (also protected) version. Chunk blobs are written once and never change,
// so each is protected from its first write; every state a manifest ever had is kept and protected too, and no blob
// can be deleted (by people, the app, soft delete or lifecycle rules) before its versions expire.
// https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies
resource archiveContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: archiveContainerName
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: enableImmutability
      ? {
          enabled: true
        }
      : null
  }
}

// The default version-level policy of the container. Left unlocked: an unlocked policy can still be shortened or
// removed, a locked one never (lock it by hand, `az storage container immutability-policy lock`, once reviewed).
resource archiveRetention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = if (enableImmutability) {
  parent: archiveContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: immutabilityPeriodDays
    allowProtectedAppendWrites: false
  }
}

resource controlContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: controlContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Lifecycle. Lifecycle filters can match blob name *prefixes* (and blob index tags), never suffixes, and a
// recording's manifest lives in the same folder as its chunks ({callId}/{recordingKey}/), so no prefix can tell
// them apart. Hence:
// - cool and cold apply to everything in the archive container: both are online tiers, so a manifest there can
//   still be read and rewritten with its ETag, and a rewrite resets daysAfterModification (a recording still being
//   archived is never tiered). The control and dead-letter containers are not matched: they stay hot.
// - the archive tier is offline (reads fail until a rehydration of hours), which would break manifest reads and
//   conditional rewrites, the sweep and the CLI. It is therefore applied only to blobs carrying the blob index tag
//   archiveTier=allowed, which only chunk blobs of complete, verified recordings should carry. The app does not set
//   it (tags need the tags/write data action of Storage Blob Data Owner, which the app is not given): an operator
//   tags chunks deliberately (`az storage blob tag set ... --tags archiveTier=allowed --auth-mode login`). Off by
//   default (archiveTierAfterDays = 0).
var onlineTierActions = union(
  coolAfterDays > 0
    ? {
        tierToCool: {
          daysAfterModificationGreaterThan: coolAfterDays
        }
      }
    : {},
  coldAfterDays > 0
    ? {
        tierToCold: {
          daysAfterModificationGreaterThan: coldAfterDays
        }
      }
    : {}
)

var onlineTierRules = empty(onlineTierActions)
  ? []
  : [
      {
        name: 'archiveOnlineTiers'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: ['blockBlob']
            prefixMatch: ['${archiveContainerName}/']
          }
          actions: {
            baseBlob: onlineTierActions
          }
        }
      }
    ]

var archiveTierRules = archiveTierAfterDays > 0
  ? [
      {
        name: 'archiveOfflineTierChunks'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: ['blockBlob']
            prefixMatch: ['${archiveContainerName}/']
            blobIndexMatch: [
              {
                name: 'archiveTier'
                op: '=='
                value: 'allowed'
              }
            ]
          }
          actions: {
            baseBlob: {
              tierToArchive: {
                daysAfterModificationGreaterThan: archiveTierAfterDays
              }
            }
          }
        }
      }
    ]
  : []

// Previous versions are what manifest and control-state rewrites leave behind. NOTE: under WORM a version cannot be
// deleted before it expires; keep previousVersionRetentionDays >= immutabilityPeriodDays, or the rule just fails on
// protected versions (harmlessly) until they expire.
var versionRules = previousVersionRetentionDays > 0
  ? [
      {
        name: 'expirePreviousVersions'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: ['blockBlob']
            prefixMatch: ['${archiveContainerName}/', '${controlContainerName}/']
          }
          actions: {
            version: {
              delete: {
                daysAfterCreationGreaterThan: previousVersionRetentionDays
              }
            }
          }
        }
      }
    ]
  : []

var lifecycleRules = concat(onlineTierRules, archiveTierRules, versionRules)

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = if (!empty(lifecycleRules)) {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: lifecycleRules
    }
  }
  dependsOn: [
    archiveContainer
    controlContainer
  ]
}

output name string = storage.name
output id string = storage.id
// https://NAME.blob.core.windows.net/ (ARCHIVE_STORAGE_URL): an address, not a credential.
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output archiveContainerName string = archiveContainer.name
output controlContainerName string = controlContainer.name
output deadLetterContainerName string = deadLetterContainer.name
