import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { type BicepFile, type BicepResource, objectKeys, parseBicep, propertyValue } from './bicep';

/**
 * What can be checked in infra/ without the Bicep compiler or Azure: the templates are read as text (./bicep.ts)
 * and compared with the code (shared/config.ts), with each other, with main.parameters.json, azure.yaml and the
 * post-deploy scripts. `az bicep build --file infra/main.bicep` checks the rest where the compiler is installed.
 */

const ROOT = join(__dirname, '..', '..');
const INFRA = join(ROOT, 'infra');

function bicepFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return bicepFilesUnder(path);
    return entry.name.endsWith('.bicep') ? [path] : [];
  });
}

function sourceFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFilesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const files = new Map<string, BicepFile>(
  bicepFilesUnder(INFRA).map((path) => [relative(INFRA, path).split('\\').join('/'), parseBicep(path)]),
);
const allFiles = [...files.values()];

function file(path: string): BicepFile {
  const found = files.get(path);
  if (!found) throw new Error(`infra/${path} is missing`);
  return found;
}

function resourcesOfType(type: string, options: { existing?: boolean } = {}): Array<BicepResource & { file: string }> {
  return [...files.entries()].flatMap(([path, f]) =>
    f.resources
      .filter((r) => r.type === type && (options.existing === undefined || r.existing === options.existing))
      .map((r) => ({ ...r, file: path })),
  );
}

const main = file('main.bicep');
const functionApp = file('app/function.bicep');
const appSettingsObject = functionApp.vars.get('appSettings') ?? '';
const appSettingNames = objectKeys(appSettingsObject);

/** The value expression of one app setting, as written in the template. */
function appSetting(name: string): string | undefined {
  return propertyValue(appSettingsObject, name);
}

// --- what the code reads -------------------------------------------------------------------------------------

const configSource = readFileSync(join(ROOT, 'shared', 'config.ts'), 'utf8');

/** Every setting name shared/config.ts reads: each reader is called as `reader(env, 'NAME', ...)`. */
const settingsReadByConfig = [
  ...new Set([...configSource.matchAll(/\(env,\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1] ?? '')),
];

/** Settings read directly from process.env anywhere in the deployed code (functions/, shared/). */
const settingsReadElsewhere = [
  ...new Set(
    [...sourceFilesUnder(join(ROOT, 'functions')), ...sourceFilesUnder(join(ROOT, 'shared'))].flatMap((path) =>
      [
        ...readFileSync(path, 'utf8').matchAll(/process\.env(?:\.([A-Z][A-Z0-9_]*)|\[\s*'([A-Z][A-Z0-9_]*)'\s*\])/g),
      ].map((m) => m[1] ?? m[2] ?? ''),
    ),
  ),
];

/**
 * Settings the code reads that the infra deliberately does not set, each with the reason. Anything the code reads
 * must be set by the infra or be listed here, so a new setting in shared/config.ts fails this test until decided.
 */
const LEFT_UNSET: Record<string, string> = {
  // Keyless deployment: the identity-based alternatives (ACS_ENDPOINT, ARCHIVE_STORAGE_URL) are set instead; a
  // connection string would put a key in the app settings.
  ACS_CONNECTION_STRING: 'key-based alternative of ACS_ENDPOINT; the deployment is keyless',
  ARCHIVE_STORAGE_CONNECTION_STRING: 'key-based alternative of ARCHIVE_STORAGE_URL; the account refuses shared keys',
  // Pinned in code (DEFAULT_ACS_API_VERSION), so that an upgrade is a reviewed code change, not drift in settings.
  ACS_API_VERSION: 'left at the api-version pinned in shared/config.ts',
  // Copy tuning: the defaults (8 MiB blocks x 4 in flight x 2 chunks = 64 MiB) fit the 2048 MB instances.
  ARCHIVE_BLOCK_SIZE_MIB: 'left at its default; tune only with instanceMemoryMB in mind',
  ARCHIVE_BLOCKS_IN_FLIGHT: 'left at its default; tune only with instanceMemoryMB in mind',
  ARCHIVE_CHUNK_CONCURRENCY: 'left at its default; tune only with instanceMemoryMB in mind',
  // Retries within one invocation; Event Grid's redelivery is the outer retry (subscriptions.bicep).
  ARCHIVE_MAX_ATTEMPTS: 'left at its default; Event Grid redelivery retries beyond it',
  ARCHIVE_RETRY_BASE_MS: 'left at its default; Event Grid redelivery retries beyond it',
  // The lease's length only trades take-over speed after a crash for renewal traffic; 60 s suits Event Grid's schedule.
  ARCHIVE_LOCK_SECONDS: 'left at its default (60 s); lower it only in tests',
  // Debug logging is for troubleshooting; set it by hand for a while, not by deployment.
  LOG_LEVEL: 'left unset (info); set LOG_LEVEL=debug by hand while troubleshooting',
};

/** Settings the infra sets that the product code does not read: the Functions host's and the SDKs' own. */
const PLATFORM_SETTINGS = new Set([
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__queueServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  // Read by DefaultAzureCredential (@azure/identity) to pick the user-assigned identity.
  'AZURE_CLIENT_ID',
]);

/** Built-in Azure role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
const BUILT_IN_ROLES: Record<string, string> = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Communication and Email Service Owner': '09976791-48a7-449e-bb21-39d1a415f350',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
};

/** The roles the running system needs: who, what, on which kind of resource, and why. */
const REQUIRED_ROLES: Array<{ principal: string; role: string; scopeType: string; why: string }> = [
  {
    principal: 'appPrincipalId',
    role: 'Storage Blob Data Owner',
    scopeType: 'Microsoft.Storage/storageAccounts',
    why: 'the Functions host (AzureWebJobsStorage: leases, keys, state) and the Flex deployment package',
  },
  {
    principal: 'appPrincipalId',
    role: 'Storage Queue Data Contributor',
    scopeType: 'Microsoft.Storage/storageAccounts',
    why: 'AzureWebJobsStorage__queueServiceUri is configured for the host',
  },
  {
    principal: 'appPrincipalId',
    role: 'Storage Table Data Contributor',
    scopeType: 'Microsoft.Storage/storageAccounts',
    why: 'the host writes diagnostic events to a table of AzureWebJobsStorage',
  },
  {
    principal: 'appPrincipalId',
    role: 'Storage Blob Data Contributor',
    scopeType: 'Microsoft.Storage/storageAccounts',
    why: 'ARCHIVE_STORAGE_URL: chunks, manifests, control state, dead letters (shared keys are off)',
  },
  {
    principal: 'appPrincipalId',
    role: 'Monitoring Metrics Publisher',
    scopeType: 'Microsoft.Insights/components',
    why: 'Application Insights has local auth disabled; telemetry needs an Entra token with this role',
  },
  {
    principal: 'appPrincipalId',
    role: 'Communication and Email Service Owner',
    scopeType: 'Microsoft.Communication/communicationServices',
    why: 'ACS_ENDPOINT with a managed identity: recording control and downloads with an Entra token',
  },
  {
    principal: 'topicPrincipalId',
    role: 'Storage Blob Data Contributor',
    scopeType: 'Microsoft.Storage/storageAccounts/blobServices/containers',
    why: 'deadLetterWithResourceIdentity: the topic writes undeliverable events to the dead-letter container',
  },
];

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

interface RoleAssignment {
  file: string;
  symbol: string;
  roleId: string;
  principal: string;
  scopeType: string;
}

function roleAssignments(): RoleAssignment[] {
  return [...files.entries()].flatMap(([path, f]) =>
    f.resources
      .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments' && !r.existing)
      .map((r) => {
        const properties = propertyValue(r.body, 'properties') ?? '';
        const definition = propertyValue(properties, 'roleDefinitionId') ?? '';
        const roleVar = /roleDefinitions'\s*,\s*(\w+)\s*\)/.exec(definition)?.[1];
        const roleId = roleVar ? (f.vars.get(roleVar) ?? '').replace(/'/g, '') : (definition.match(GUID)?.[0] ?? '');
        const scopeSymbol = propertyValue(r.body, 'scope') ?? '';
        const scopeType = f.resources.find((s) => s.symbol === scopeSymbol)?.type ?? `unknown scope ${scopeSymbol}`;
        return {
          file: path,
          symbol: r.symbol,
          roleId,
          principal: propertyValue(properties, 'principalId') ?? '',
          scopeType,
        };
      }),
  );
}

describe('infra templates (read as text; no compiler, no Azure)', () => {
  test('the reader finds the templates and their parts', () => {
    expect([...files.keys()]).toEqual(
      expect.arrayContaining(['main.bicep', 'subscriptions.bicep', 'app/function.bicep']),
    );
    expect(settingsReadByConfig.length).toBeGreaterThanOrEqual(15);
    expect(settingsReadByConfig).toEqual(expect.arrayContaining(['ACS_ENDPOINT', 'ARCHIVE_STORAGE_URL']));
    expect(appSettingNames.length).toBeGreaterThanOrEqual(15);
  });

  test('every resource names a type and a GA api-version', () => {
    for (const f of allFiles) {
      for (const r of f.resources) {
        expect(`${r.type}@${r.apiVersion}`).toMatch(/^Microsoft\.[A-Za-z]+(\/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}$/);
      }
    }
    const declared = new Set(allFiles.flatMap((f) => f.resources.filter((r) => !r.existing).map((r) => r.type)));
    for (const type of [
      'Microsoft.Web/serverfarms',
      'Microsoft.Web/sites',
      'Microsoft.Web/sites/config',
      'Microsoft.ManagedIdentity/userAssignedIdentities',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.Storage/storageAccounts/blobServices/containers',
      'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies',
      'Microsoft.Storage/storageAccounts/managementPolicies',
      'Microsoft.OperationalInsights/workspaces',
      'Microsoft.Insights/components',
      'Microsoft.Communication/communicationServices',
      'Microsoft.EventGrid/systemTopics',
      'Microsoft.EventGrid/systemTopics/eventSubscriptions',
      'Microsoft.Authorization/roleAssignments',
    ]) {
      expect(declared).toContain(type);
    }
  });

  test('every module path exists, gets only parameters it declares, and all it requires', () => {
    for (const [path, f] of files) {
      for (const m of f.modules) {
        const target = join(dirname(join(INFRA, path)), m.path);
        expect(existsSync(target)).toBe(true);
        const module = parseBicep(target);
        const passed = objectKeys(propertyValue(m.body, 'params') ?? '{}');
        const declared = module.params.map((p) => p.name);
        for (const name of passed)
          expect({ module: m.symbol, param: name, declared: declared.includes(name) }).toEqual({
            module: m.symbol,
            param: name,
            declared: true,
          });
        for (const p of module.params.filter((q) => !q.hasDefault))
          expect({ module: m.symbol, required: p.name, passed: passed.includes(p.name) }).toEqual({
            module: m.symbol,
            required: p.name,
            passed: true,
          });
      }
    }
  });

  test('main.bicep writes only into its own resource group (azd down deletes every group a deployment touched)', () => {
    for (const m of main.modules)
      expect({ module: m.symbol, scope: propertyValue(m.body, 'scope') }).toEqual({ module: m.symbol, scope: 'rg' });
    for (const r of main.resources.filter((x) => !x.existing))
      expect(r.type).toBe('Microsoft.Resources/resourceGroups');
  });

  test('every module output main.bicep uses is declared by that module', () => {
    const modulePaths = new Map(main.modules.map((m) => [m.symbol, join(INFRA, m.path)]));
    for (const [, moduleSymbol = '', outputName = ''] of main.code.matchAll(/\b(\w+)\.outputs\.(\w+)/g)) {
      const path = modulePaths.get(moduleSymbol);
      expect({ module: moduleSymbol, known: path !== undefined }).toEqual({ module: moduleSymbol, known: true });
      const outputs = parseBicep(path!).outputs.map((o) => o.name);
      expect({ module: moduleSymbol, output: outputName, declared: outputs.includes(outputName) }).toEqual({
        module: moduleSymbol,
        output: outputName,
        declared: true,
      });
    }
  });
});

describe('app settings', () => {
  test('every setting the code reads is set by the infra or deliberately left unset', () => {
    for (const name of [...settingsReadByConfig, ...settingsReadElsewhere]) {
      const decided = appSettingNames.includes(name) || name in LEFT_UNSET;
      expect({ setting: name, decided }).toEqual({ setting: name, decided: true });
    }
  });

  test('the left-unset list only names settings the code reads and the infra does not set', () => {
    for (const name of Object.keys(LEFT_UNSET)) {
      expect({ setting: name, read: [...settingsReadByConfig, ...settingsReadElsewhere].includes(name) }).toEqual({
        setting: name,
        read: true,
      });
      expect({ setting: name, set: appSettingNames.includes(name) }).toEqual({ setting: name, set: false });
    }
  });

  test('every setting the infra sets is read by the code or is a platform setting', () => {
    for (const name of appSettingNames) {
      const known =
        settingsReadByConfig.includes(name) || settingsReadElsewhere.includes(name) || PLATFORM_SETTINGS.has(name);
      expect({ setting: name, known }).toEqual({ setting: name, known: true });
    }
  });

  test('no key or secret is ever put in a setting', () => {
    for (const name of appSettingNames) {
      // The Application Insights connection string only locates the component (local auth is off, see monitoring.bicep).
      const keyBased = /CONNECTION_STRING$/.test(name) && name !== 'APPLICATIONINSIGHTS_CONNECTION_STRING';
      expect({ setting: name, keyBased }).toEqual({ setting: name, keyBased: false });
      expect(name).not.toMatch(/key|secret|password|token/i);
      expect(appSetting(name)).not.toMatch(/listKeys|AccountKey|accesskey|SharedAccessSignature|sig=/i);
    }
    expect(appSettingNames).not.toContain('AzureWebJobsStorage');
  });

  test('identity-based settings point at the identity and the resources', () => {
    expect(appSetting('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    for (const name of ['AzureWebJobsStorage__clientId', 'AZURE_CLIENT_ID']) {
      expect(appSetting(name)).toBe('identity.properties.clientId');
    }
    for (const service of ['blob', 'queue', 'table']) {
      expect(appSetting(`AzureWebJobsStorage__${service}ServiceUri`)).toBe(
        `runtimeStorage.properties.primaryEndpoints.${service}`,
      );
    }
    expect(appSetting('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe(
      "'ClientId=${identity.properties.clientId};Authorization=AAD'",
    );
    expect(appSetting('ACS_ENDPOINT')).toBe('acsEndpoint');
    expect(appSetting('ARCHIVE_STORAGE_URL')).toBe('archiveStorageUrl');
    // SPEC section 8: recordingState is HTTP POST /api/recording-state on the app's own host.
    expect(appSetting('RECORDING_STATE_CALLBACK_URL')).toBe(
      "'https://${functionApp.properties.defaultHostName}/api/recording-state'",
    );
  });

  test('settings Flex Consumption rejects are not set', () => {
    for (const name of [
      'FUNCTIONS_EXTENSION_VERSION',
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_WORKER_RUNTIME_VERSION',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'WEBSITE_CONTENTSHARE',
      'SCM_DO_BUILD_DURING_DEPLOYMENT',
    ]) {
      expect(appSettingNames).not.toContain(name);
    }
  });

  test('container names match the defaults of the code', () => {
    const defaultOf = (name: string) =>
      new RegExp(`readContainer\\(env, '${name}', '([a-z0-9-]+)'\\)`).exec(configSource)?.[1];
    expect(main.vars.get('archiveContainerName')).toBe(`'${defaultOf('ARCHIVE_CONTAINER')}'`);
    expect(main.vars.get('controlContainerName')).toBe(`'${defaultOf('CONTROL_CONTAINER')}'`);
  });
});

describe('resources', () => {
  test('the function app runs Node 22 on Flex Consumption as the user-assigned identity', () => {
    const plan = resourcesOfType('Microsoft.Web/serverfarms')[0]!;
    expect(propertyValue(plan.body, 'sku')).toMatch(/tier:\s*'FlexConsumption'[\s\S]*name:\s*'FC1'/);
    expect(propertyValue(propertyValue(plan.body, 'properties')!, 'reserved')).toBe('true');
    const site = resourcesOfType('Microsoft.Web/sites', { existing: false })[0]!;
    expect(propertyValue(site.body, 'kind')).toBe("'functionapp,linux'");
    expect(propertyValue(site.body, 'identity')).toMatch(/type:\s*'UserAssigned'/);
    const properties = propertyValue(site.body, 'properties')!;
    expect(propertyValue(properties, 'httpsOnly')).toBe('true');
    const config = propertyValue(properties, 'functionAppConfig')!;
    expect(propertyValue(config, 'runtime')).toMatch(/name:\s*'node'\s*\n\s*version:\s*'22'/);
    expect(propertyValue(config, 'scaleAndConcurrency')).toMatch(/maximumInstanceCount[\s\S]*instanceMemoryMB/);
    const deployment = propertyValue(config, 'deployment')!;
    expect(deployment).toMatch(/type:\s*'blobContainer'/);
    expect(deployment).toMatch(/type:\s*'UserAssignedIdentity'/);
    expect(resourcesOfType('Microsoft.Web/sites/config')[0]!.body).toMatch(/name:\s*'appsettings'/);
  });

  test('every storage account refuses keys, public blobs, plain HTTP and old TLS', () => {
    const accounts = resourcesOfType('Microsoft.Storage/storageAccounts', { existing: false });
    expect(accounts.length).toBe(2);
    for (const account of accounts) {
      const properties = propertyValue(account.body, 'properties')!;
      expect({ file: account.file, allowSharedKeyAccess: propertyValue(properties, 'allowSharedKeyAccess') }).toEqual({
        file: account.file,
        allowSharedKeyAccess: 'false',
      });
      expect(propertyValue(properties, 'minimumTlsVersion')).toBe("'TLS1_2'");
      expect(propertyValue(properties, 'allowBlobPublicAccess')).toBe('false');
      expect(propertyValue(properties, 'supportsHttpsTrafficOnly')).toBe('true');
    }
    for (const container of resourcesOfType('Microsoft.Storage/storageAccounts/blobServices/containers', {
      existing: false,
    })) {
      expect(container.body).toMatch(/publicAccess:\s*'None'/);
    }
  });

  test('the archive has versioning, soft delete, its three containers and a lifecycle that spares manifests the offline tier', () => {
    const archive = file('app/archive-storage.bicep');
    const blobService = archive.resources.find((r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices')!;
    const properties = propertyValue(blobService.body, 'properties')!;
    expect(propertyValue(properties, 'isVersioningEnabled')).toBe('true');
    expect(propertyValue(properties, 'deleteRetentionPolicy')).toMatch(/enabled:\s*true/);
    expect(propertyValue(properties, 'containerDeleteRetentionPolicy')).toMatch(/enabled:\s*true/);
    const containerNames = archive.resources
      .filter((r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices/containers')
      .map((r) => propertyValue(r.body, 'name'));
    expect(containerNames).toEqual(['archiveContainerName', 'controlContainerName', 'deadLetterContainerName']);
    expect(main.vars.get('deadLetterContainerName')).toBe("'eventgrid-deadletter'");
    // The offline tier only under a blob index tag filter (manifests are rewritten and must stay readable).
    const archiveRule = archive.vars.get('archiveTierRules')!;
    expect(archiveRule).toMatch(/tierToArchive/);
    expect(archiveRule).toMatch(/blobIndexMatch/);
    for (const [name, value] of archive.vars) {
      if (name !== 'archiveTierRules')
        expect({ var: name, archives: /tierToArchive/.test(value) }).toEqual({ var: name, archives: false });
    }
    expect(archive.vars.get('onlineTierRules')).toMatch(/prefixMatch:\s*\['\$\{archiveContainerName\}\/'\]/);
    // WORM is version-level (overwrites of manifests stay possible), off by default.
    expect(propertyValue(archive.resources.find((r) => r.symbol === 'archiveContainer')!.body, 'properties')).toMatch(
      /immutableStorageWithVersioning/,
    );
    expect(archive.params.find((p) => p.name === 'enableImmutability')).toEqual({
      name: 'enableImmutability',
      type: 'bool',
      hasDefault: true,
    });
    expect(archive.code).toMatch(/^param enableImmutability bool = false$/m);
  });

  test('a new Communication Services resource is global and keyless by default', () => {
    const acs = resourcesOfType('Microsoft.Communication/communicationServices', { existing: false });
    expect(acs.length).toBe(1);
    expect(propertyValue(acs[0]!.body, 'location')).toBe("'global'");
    expect(propertyValue(propertyValue(acs[0]!.body, 'properties')!, 'disableLocalAuth')).toBe('disableLocalAuth');
    expect(main.code).toMatch(/^param acsDisableLocalAuth bool = true$/m);
  });

  test('the system topic is global, on ACS, with its own identity', () => {
    const topics = resourcesOfType('Microsoft.EventGrid/systemTopics', { existing: false });
    expect(topics.length).toBe(1);
    const topic = topics[0]!;
    expect(propertyValue(topic.body, 'location')).toBe("'global'");
    expect(propertyValue(topic.body, 'identity')).toMatch(/type:\s*'SystemAssigned'/);
    expect(propertyValue(propertyValue(topic.body, 'properties')!, 'topicType')).toBe(
      "'Microsoft.Communication.CommunicationServices'",
    );
    expect(main.params.map((p) => p.name)).toEqual(
      expect.arrayContaining(['existingSystemTopicName', 'existingCommunicationServiceName']),
    );
  });

  test('event subscriptions deliver to the contract functions, retry deliberately and dead-letter with the topic identity', () => {
    const subscriptions = file('subscriptions.bicep');
    const deadLetter = subscriptions.vars.get('deadLetter')!;
    expect(deadLetter).toMatch(/type:\s*'SystemAssigned'/);
    expect(deadLetter).toMatch(/endpointType:\s*'StorageBlob'/);
    const eventSubscriptions = subscriptions.resources.filter(
      (r) => r.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
    );
    expect(eventSubscriptions.length).toBe(2);
    for (const s of eventSubscriptions) {
      const properties = propertyValue(s.body, 'properties')!;
      expect(propertyValue(properties, 'deadLetterWithResourceIdentity')).toBe('deadLetter');
      expect(propertyValue(properties, 'deadLetterDestination')).toBeUndefined();
      const retry = propertyValue(properties, 'retryPolicy')!;
      expect(retry).toMatch(/eventTimeToLiveInMinutes:\s*1440/);
      expect(retry).toMatch(/maxDeliveryAttempts:\s*\w+/);
    }
    const [archive = '', calls = ''] = eventSubscriptions.map((s) => propertyValue(s.body, 'properties') ?? '');
    const archiveDestination = propertyValue(archive, 'destination')!;
    expect(archiveDestination).toMatch(/endpointType:\s*'AzureFunction'/);
    expect(archiveDestination).toMatch(/resourceId:\s*'\$\{functionApp\.id\}\/functions\/archiveRecording'/);
    expect(archiveDestination).toMatch(/maxEventsPerBatch:\s*1\b/);
    expect(propertyValue(archive, 'filter')).toMatch(/'Microsoft\.Communication\.RecordingFileStatusUpdated'/);
    const callDestination = propertyValue(calls, 'destination')!;
    expect(callDestination).toMatch(/endpointType:\s*'WebHook'/);
    expect(callDestination).toMatch(
      /endpointUrl:\s*'https:\/\/\$\{functionApp\.properties\.defaultHostName\}\/api\/call-events\?code=/,
    );
    expect(propertyValue(calls, 'filter')).toMatch(
      /'Microsoft\.Communication\.CallStarted'[\s\S]*'Microsoft\.Communication\.CallEnded'/,
    );
  });
});

describe('roles', () => {
  test('every role definition id in the templates is a known built-in role', () => {
    const known = new Set(Object.values(BUILT_IN_ROLES));
    for (const f of allFiles) {
      for (const guid of f.code.match(GUID) ?? [])
        expect({ file: f.path, guid, known: known.has(guid.toLowerCase()) }).toEqual({
          file: f.path,
          guid,
          known: true,
        });
    }
    for (const assignment of roleAssignments()) {
      expect({ assignment: assignment.symbol, known: known.has(assignment.roleId) }).toEqual({
        assignment: assignment.symbol,
        known: true,
      });
    }
  });

  test('every role the system needs is assigned to the right principal on the right kind of resource', () => {
    const assignments = roleAssignments();
    for (const required of REQUIRED_ROLES) {
      const found = assignments.some(
        (a) =>
          a.roleId === BUILT_IN_ROLES[required.role] &&
          a.principal === required.principal &&
          a.scopeType === required.scopeType,
      );
      expect({ ...required, assigned: found }).toEqual({ ...required, assigned: true });
    }
  });

  test('role assignments are idempotent, for service principals, and never at subscription or group scope', () => {
    for (const f of allFiles) {
      for (const r of f.resources.filter((x) => x.type === 'Microsoft.Authorization/roleAssignments')) {
        expect(propertyValue(r.body, 'name')).toMatch(/^guid\(/);
        expect(propertyValue(r.body, 'scope')).toMatch(/^\w+$/);
      }
    }
    for (const a of roleAssignments().filter((x) => x.principal !== 'operatorPrincipalId')) {
      expect(a.scopeType).not.toMatch(/resourceGroups|unknown/);
    }
  });
});

describe('parameters, outputs and wiring', () => {
  const parameters = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value: unknown }>;
  };

  test('main.parameters.json names only parameters of main.bicep and provides every required one', () => {
    const declared = main.params.map((p) => p.name);
    for (const name of Object.keys(parameters.parameters))
      expect({ param: name, declared: declared.includes(name) }).toEqual({ param: name, declared: true });
    for (const p of main.params.filter((q) => !q.hasDefault))
      expect(Object.keys(parameters.parameters)).toContain(p.name);
    expect(parameters.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(parameters.parameters.location?.value).toBe('${AZURE_LOCATION}');
    expect(parameters.parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
  });

  test('no output names or carries a secret, in any template', () => {
    for (const f of allFiles) {
      for (const output of f.outputs) {
        expect(`${f.path}: ${output.name}`).not.toMatch(/key|secret|password|connectionstring|token|sas/i);
        expect(`${f.path}: ${output.value}`).not.toMatch(
          /listKeys|listAccountSas|listServiceSas|connectionString|secret|key/i,
        );
      }
    }
  });

  test('the post-deploy scripts use main.bicep outputs and pass subscriptions.bicep parameters', () => {
    const outputs = main.outputs.map((o) => o.name);
    const subscriptionParams = file('subscriptions.bicep').params;
    for (const script of ['postdeploy.sh', 'postdeploy.ps1']) {
      const text = readFileSync(join(INFRA, 'scripts', script), 'utf8');
      const reference = script.endsWith('.ps1') ? /\$env:([A-Z][A-Z0-9_]*)/g : /\$\{?([A-Z][A-Z0-9_]*)\b/g;
      const used = [...text.matchAll(reference)].map((m) => m[1] ?? '');
      expect(used.length).toBeGreaterThan(0);
      for (const name of used)
        expect({ script, name, isOutput: outputs.includes(name) }).toEqual({ script, name, isOutput: true });
      const passed = [...text.matchAll(/(\w+)="?\$(?:\(\$env:)?[A-Z]/g)].map((m) => m[1] ?? '');
      for (const name of passed) expect(subscriptionParams.map((p) => p.name)).toContain(name);
      for (const p of subscriptionParams.filter((q) => !q.hasDefault))
        expect({ script, param: p.name, passed: passed.includes(p.name) }).toEqual({
          script,
          param: p.name,
          passed: true,
        });
      expect(text).toMatch(/--template-file/);
    }
  });

  test('azure.yaml deploys the function service and runs the post-deploy scripts', () => {
    const azureYaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
    expect(azureYaml).toMatch(/^\s{4}host: function$/m);
    expect(azureYaml).toMatch(/^\s{2}api:$/m);
    expect(functionApp.code).toMatch(/'azd-service-name': 'api'/);
    const scripts = [...azureYaml.matchAll(/run:\s*(\S+)/g)].map((m) => m[1] ?? '');
    expect(scripts).toEqual(['./infra/scripts/postdeploy.sh', './infra/scripts/postdeploy.ps1']);
    for (const script of scripts) expect(existsSync(join(ROOT, script))).toBe(true);
  });
});
