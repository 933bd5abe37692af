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

@description('Container of the erasure and legal-hold audit records (AUDIT_CONTAINER): version-level WORM; the app writes access records, never deletes.')
param auditContainerName string

@minValue(1)
@maxValue(146000)
@description('Days every audit record version stays immutable (version-level WORM of the audit container).')
param auditImmutabilityDays int = 365

// The same lock problem as the archive's WORM policy below: a LOCKED policy refuses every update but an extension,
// so it is PUT only while infra/scripts/preprovision.* finds it unlocked (AUDIT_IMMUTABILITY_POLICY_APPLY).
@description('Create or update the default immutability policy of the audit container. false once it is locked.')
param applyAuditImmutabilityPolicy bool = true

@description('Resource id of the Log Analytics workspace that receives the blob service\'s write logs (StorageBlobLogs).')
param logAnalyticsWorkspaceId string

@description('Deny public network access except the listed IP ranges and trusted Azure services (the Event Grid topic\'s dead letters); the app comes in through a private endpoint (network.bicep).')
param restrictPublicNetworkAccess bool = false

@description('With restrictPublicNetworkAccess: public IPv4 addresses or CIDR ranges allowed in (the operator CLI, azd hooks that read blobs).')
param allowedIpRanges array = []

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
@description('Delete previous versions of the control container\'s blobs (bookkeeping rewrites) after this many days; 0 = keep. Archive and audit versions are never expired.')
param previousVersionRetentionDays int = 90

// WORM (version-level immutability). `immutableStorageWithVersioning` can be set only when a container is CREATED
// (https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies); on an existing container
// a container policy would be a classic, container-level one, which refuses every overwrite, manifests included. So
// WORM never touches the plain archive container: it creates a separate container, immutable from its first PUT,
// and the app's ARCHIVE_CONTAINER moves to it (output archiveContainerName). Recordings archived before stay in the
// plain container, unprotected; infra/scripts/preprovision.* says so, and refuses to turn WORM off again.
@description('Archive into a new container with version-level WORM (compliance). Irreversible once the policy is locked.')
param enableImmutability bool = false

@description('Name of the WORM archive container, used when enableImmutability is true. Created with version-level immutability.')
param immutableArchiveContainerName string = '${archiveContainerName}-worm'

// A LOCKED policy refuses every operation except extending its period, so PUTting it again on every `azd provision`
// would fail every later provisioning. It is deployed only while this is true: infra/scripts/preprovision.* reads
// the policy's state and sets ARCHIVE_IMMUTABILITY_POLICY_APPLY=false once it is locked (or set it by hand).
@description('Create or update the default immutability policy of the WORM container. false once it is locked.')
param applyImmutabilityPolicy bool = true

@minValue(1)
@maxValue(146000)
@description('Days every blob version in the WORM container stays immutable.')
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
    // NOTE: 'Enabled' with a Deny firewall, never 'Disabled': the Event Grid topic writes dead letters here as a
    // trusted Azure service (bypass AzureServices), which a disabled public endpoint would refuse too.
    // https://learn.microsoft.com/azure/storage/common/storage-network-security#grant-access-to-trusted-azure-services
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: restrictPublicNetworkAccess ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
      ipRules: restrictPublicNetworkAccess ? map(allowedIpRanges, cidr => { value: cidr, action: 'Allow' }) : []
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

// The plain archive container: always declared, so that a deployment that switches WORM on keeps (and can still
// read) what was archived before.
resource archiveContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: archiveContainerName
  properties: {
    publicAccess: 'None'
  }
}

// NOTE on WORM and manifests: manifest.json is rewritten (pending -> complete, new event ids), so a classic
// container-level time-based retention policy would refuse those overwrites and break archiving. Version-level
// immutability is used instead: every blob *version* is immutable for immutabilityPeriodDays, while overwriting a
// blob is still allowed and creates a new (also protected) version. Chunk blobs are written once and never change,
// so each is protected from its first write; every state a manifest ever had is kept and protected too, and no blob
// can be deleted (by people, the app, soft delete or lifecycle rules) before its versions expire. The app deletes
// nothing here: its bookkeeping (markers, leases, call records) lives in the control container, outside the policy.
// https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies
resource immutableArchiveContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = if (enableImmutability) {
  parent: blobService
  name: immutableArchiveContainerName
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: {
      enabled: true
    }
  }
}

// The container's default version-level policy: every new blob version gets it. Left unlocked by this template: an
// unlocked policy can still be shortened or removed, a locked one never. Lock it by hand once reviewed
// (`az storage container immutability-policy lock`); from then on only `... immutability-policy extend` works, and
// preprovision stops deploying this resource (applyImmutabilityPolicy=false).
resource archiveRetention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = if (enableImmutability && applyImmutabilityPolicy) {
  parent: immutableArchiveContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: immutabilityPeriodDays
    allowProtectedAppendWrites: false
  }
}

// The control container (CONTROL_CONTAINER): pending markers, chunk leases, call records, participant index, audit
// records. Deliberately OUTSIDE any immutability policy: the app writes, rewrites and deletes here all the time.
// The app's role on it is scoped to this container alone (rbac.bicep).
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

// The audit container (AUDIT_CONTAINER): erasure and legal-hold records, written by the operator CLI only (the app has
// no role here, rbac.bicep). Version-level WORM from its creation, always, whatever enableImmutability says: every
// record state is its own blob, written create-only (If-None-Match: *), so nothing is ever overwritten and a
// time-based policy on each version costs the tools nothing; nobody (the operator's Storage Blob Data Owner, a
// compromised identity, lifecycle rules) can delete or rewrite a record before its versions expire. Chosen over
// append blobs with allowProtectedAppendWrites (a container-level policy): with version-level immutability a
// resumed erasure simply writes its next state, and a legal hold can be set on a single record version.
// https://learn.microsoft.com/azure/storage/blobs/immutable-version-level-worm-policies
resource auditContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: auditContainerName
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: {
      enabled: true
    }
  }
}

// Unlocked by the template, as the archive's: lock it once reviewed (az storage container immutability-policy lock);
// preprovision then stops deploying it (AUDIT_IMMUTABILITY_POLICY_APPLY=false).
resource auditRetention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = if (applyAuditImmutabilityPolicy) {
  parent: auditContainer
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: auditImmutabilityDays
    allowProtectedAppendWrites: false
  }
}

// The blob service's write logs go to Log Analytics (StorageBlobLogs), where the chunk-overwrite alert reads them
// (archive-alerts.bicep). Writes only: reads are the bulk of the traffic and say nothing about tampering.
// https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-storage-storageaccounts-blobservices-logs
resource blobWriteLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'blob-write-logs'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
    ]
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
//   it (tags need the tags/write data action, which the app's role does not carry): the operator, who holds Storage
//   Blob Data Owner on this account (rbac.bicep), tags chunks deliberately
//   (`az storage blob tag set ... --tags archiveTier=allowed --auth-mode login`). Off by default
//   (archiveTierAfterDays = 0). Blob index tags are not blob data: they can be set on WORM-protected versions too.
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

// Every archive container: the plain one always, the WORM one when enabled (both hold recordings to tier).
var archivePrefixes = enableImmutability
  ? ['${archiveContainerName}/', '${immutableArchiveContainerName}/']
  : ['${archiveContainerName}/']

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
            prefixMatch: archivePrefixes
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
            prefixMatch: archivePrefixes
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

// Previous versions of the control container's bookkeeping (markers, leases, call records rewritten all the time).
// NOT the archive containers: there a previous version is what is left of a chunk someone overwrote (the app's role
// has blobs/write, and WORM is off by default), and expiring it would complete the destruction 90 days later. Filters
// match name prefixes only, and a manifest shares its folder with its chunks, so no filter can expire manifest versions
// and spare chunk versions: manifest versions (a few KB each, one per rewrite) are kept too, costing a few hundred KB
// per recording. Never the audit container either: its records are immutable, and kept whole.
var versionRules = previousVersionRetentionDays > 0
  ? [
      {
        name: 'expirePreviousVersions'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: ['blockBlob']
            prefixMatch: ['${controlContainerName}/']
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

// The SHA-256 of each Call Automation callback token the app accepted (replay protection): a token lives 5 minutes,
// so a day is ample; the base blob and the version its deletion leaves go together.
var callbackTokenRules = [
  {
    name: 'expireCallbackTokens'
    enabled: true
    type: 'Lifecycle'
    definition: {
      filters: {
        blobTypes: ['blockBlob']
        prefixMatch: ['${controlContainerName}/callback-tokens/']
      }
      actions: {
        baseBlob: {
          delete: {
            daysAfterModificationGreaterThan: 1
          }
        }
        version: {
          delete: {
            daysAfterCreationGreaterThan: 1
          }
        }
      }
    }
  }
]

var lifecycleRules = concat(onlineTierRules, archiveTierRules, versionRules, callbackTokenRules)

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: lifecycleRules
    }
  }
  dependsOn: [
    archiveContainer
    immutableArchiveContainer
    controlContainer
  ]
}

output name string = storage.name
output id string = storage.id
// https://NAME.blob.core.windows.net/ (ARCHIVE_STORAGE_URL): an address, not a credential.
output blobEndpoint string = storage.properties.primaryEndpoints.blob
// The container the app archives into (ARCHIVE_CONTAINER): the WORM one when enabled, the plain one otherwise.
output archiveContainerName string = enableImmutability ? immutableArchiveContainerName : archiveContainer.name
// The plain container, which keeps what was archived before WORM was switched on.
output plainArchiveContainerName string = archiveContainer.name
output immutabilityEnabled bool = enableImmutability
output controlContainerName string = controlContainer.name
output deadLetterContainerName string = deadLetterContainer.name
output auditContainerName string = auditContainer.name
