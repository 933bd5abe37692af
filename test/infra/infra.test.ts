import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { objectKeys, parseBicep, propertyValue } from './bicep';
import { AZD_ENVIRONMENT, BUILT_IN_ROLES, RESOURCE_TYPES, STORAGE_PERMISSIONS } from './sources';
import {
  INFRA,
  ROOT,
  allFiles,
  file,
  files,
  loadedTextFiles,
  propertiesOf,
  rawText,
  readInfra,
  readRoot,
  resourcesOfType,
  sourceFilesUnder,
} from './templates';

/**
 * What can be checked in infra/ without the Bicep compiler or Azure: the templates are read as text (./bicep.ts)
 * and compared with the code (shared/config.ts, functions/), with each other, with main.parameters.json, azure.yaml,
 * the hook scripts, and with published facts (./sources.ts). `az bicep build --file infra/main.bicep` checks the
 * rest where the compiler is installed. The hook scripts are run for real in scripts.test.ts, the monitoring queries
 * checked in monitoring.test.ts, the package built and opened in package.test.ts.
 */

const main = file('main.bicep');
const functionApp = file('app/function.bicep');
const archiveStorage = file('app/archive-storage.bicep');
const rbac = file('app/rbac.bicep');
const customRoles = file('app/custom-roles.bicep');
const subscriptions = file('subscriptions.bicep');
const appSettingsObject = functionApp.vars.get('appSettings') ?? '';
const appSettingNames = objectKeys(appSettingsObject);

/** The value expression of one app setting, as written in the template (comments removed). */
function appSetting(name: string): string | undefined {
  return propertyValue(appSettingsObject, name);
}

/** A module call's value for one of its params. */
function moduleParam(symbol: string, param: string, inFile = main): string | undefined {
  const m = inFile.modules.find((x) => x.symbol === symbol);
  return m ? propertyValue(propertyValue(m.body, 'params') ?? '{}', param) : undefined;
}

// --- what the code reads -------------------------------------------------------------------------------------

const configSource = readRoot('shared/config.ts');

/** Every setting name shared/config.ts reads: each reader is called as `reader(env, 'NAME', ...)`. */
const settingsReadByConfig = [
  ...new Set([...configSource.matchAll(/\(env,\s*'([A-Za-z][A-Za-z0-9_]*)'/g)].map((m) => m[1] ?? '')),
];

const deployedSources = [...sourceFilesUnder(join(ROOT, 'functions')), ...sourceFilesUnder(join(ROOT, 'shared'))];

/** Settings read directly from process.env anywhere in the deployed code (functions/, shared/). */
const settingsReadElsewhere = [
  ...new Set(
    deployedSources.flatMap((path) =>
      [
        ...readFileSync(path, 'utf8').matchAll(
          /process\.env(?:\.([A-Za-z][A-Za-z0-9_]*)|\[\s*'([A-Za-z][A-Za-z0-9_]*)'\s*\])/g,
        ),
      ].map((m) => m[1] ?? m[2] ?? ''),
    ),
  ),
];

const settingsRead = [...new Set([...settingsReadByConfig, ...settingsReadElsewhere])];

/**
 * Settings the code reads that the infra deliberately does not set, each with the reason. Anything the code reads
 * must be set by the infra or be listed here, so a new setting in shared/config.ts fails this test until decided.
 */
const LEFT_UNSET: Record<string, string> = {
  // Keyless deployment: the identity-based alternatives (ACS_ENDPOINT, ARCHIVE_STORAGE_URL, AzureWebJobsStorage__*)
  // are set instead; a connection string would put a key in the app settings.
  ACS_CONNECTION_STRING: 'key-based alternative of ACS_ENDPOINT; the deployment is keyless',
  ARCHIVE_STORAGE_CONNECTION_STRING: 'key-based alternative of ARCHIVE_STORAGE_URL; the account refuses shared keys',
  AzureWebJobsStorage: 'key-based alternative of AzureWebJobsStorage__*; the runtime account refuses shared keys',
  AzureWebJobsStorage__accountName:
    'the service URIs (__blobServiceUri, __queueServiceUri, __tableServiceUri) are set instead',
  // Pinned in code (DEFAULT_ACS_API_VERSION), so that an upgrade is a reviewed code change, not drift in settings.
  ACS_API_VERSION: 'left at the api-version pinned in shared/config.ts',
  // Microsoft's published OpenID configuration is the default in code; only the local emulator needs another.
  ACS_CALLBACK_OPENID_CONFIG_URL: "the default in code is Microsoft's; only the emulator serves its own",
  // Copy tuning: the defaults (8 MiB blocks x 4 in flight) fit the 2048 MB instances with room for several copies.
  ARCHIVE_BLOCK_SIZE_MIB: 'left at its default; tune only with instanceMemoryMB in mind',
  ARCHIVE_BLOCKS_IN_FLIGHT: 'left at its default; tune only with instanceMemoryMB in mind',
  // Retries within one invocation; the queue's redelivery (host.json maxDequeueCount) is the outer retry.
  ARCHIVE_MAX_ATTEMPTS: 'left at its default; queue redelivery retries beyond it',
  ARCHIVE_RETRY_BASE_MS: 'left at its default; queue redelivery retries beyond it',
  // The lease only trades take-over speed after a crash for renewal traffic.
  ARCHIVE_LOCK_SECONDS: 'left at its default (60 s); lower it only in tests',
  // 120 s of re-enqueueing per run fits the 5-minute timer with room to spare.
  SWEEP_BUDGET_SECONDS: 'left at its default (120 s), well under the 5-minute timer period',
  // Test-only fault injection (shared/archive/crashPoints.ts kills the process at a named point).
  ARCHIVE_CRASH_AT: 'test-only crash injection; never set in a deployment (the test fails if the infra sets it)',
  // Debug logging is for troubleshooting; set it by hand for a while, not by deployment.
  LOG_LEVEL: 'left unset (info); set LOG_LEVEL=debug by hand while troubleshooting',
};

/** Settings the infra sets that the product code does not read: the Functions host's and the SDKs' own. */
const PLATFORM_SETTINGS = new Set([
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__blobServiceUri',
  'AzureWebJobsStorage__tableServiceUri',
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
  // Read by DefaultAzureCredential (@azure/identity) to pick the user-assigned identity.
  'AZURE_CLIENT_ID',
]);

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

describe('infra templates (read as text; no compiler, no Azure)', () => {
  test('the reader finds the templates and their parts', () => {
    expect([...files.keys()]).toEqual(
      expect.arrayContaining([
        'main.bicep',
        'subscriptions.bicep',
        'callback-url.bicep',
        'app/function.bicep',
        'app/alerts.bicep',
        'app/workbook.bicep',
        'app/custom-roles.bicep',
      ]),
    );
    expect(settingsReadByConfig.length).toBeGreaterThanOrEqual(30);
    expect(settingsReadByConfig).toEqual(
      expect.arrayContaining(['ACS_ENDPOINT', 'ARCHIVE_STORAGE_URL', 'ARCHIVE_QUEUE', 'AzureWebJobsStorage__clientId']),
    );
    expect(appSettingNames.length).toBeGreaterThanOrEqual(25);
  });

  test('every Microsoft.* type and api-version used (declared, existing, listKeys, list) is listed with its source', () => {
    const used = new Set<string>();
    for (const f of allFiles) {
      for (const r of f.resources) used.add(`${r.type}@${r.apiVersion}`);
      // listKeys('<site id>/functions/<name>', 'v') and list('<site id>/config/appsettings', 'v') call ARM too.
      for (const m of f.code.matchAll(/\blist(?:Keys)?\('\$\{(\w+)\.id\}\/([a-z]+)\/[^']*',\s*'([^']+)'\)/g)) {
        const symbol = f.resources.find((r) => r.symbol === m[1]);
        expect({ file: f.path, symbol: m[1], known: symbol !== undefined }).toEqual({
          file: f.path,
          symbol: m[1],
          known: true,
        });
        used.add(`${symbol!.type}/${m[2]}@${m[3]}`);
      }
    }
    expect(used.size).toBeGreaterThanOrEqual(20);
    for (const typeAtVersion of used) {
      expect(`${typeAtVersion}`).toMatch(/^Microsoft\.[A-Za-z]+(\/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}$/);
      expect({ typeAtVersion, listed: typeAtVersion in RESOURCE_TYPES }).toEqual({ typeAtVersion, listed: true });
    }
    // Nothing listed that is no longer used: the table is the inventory of what is deployed.
    for (const listed of Object.keys(RESOURCE_TYPES)) {
      expect({ listed, used: used.has(listed) }).toEqual({ listed, used: true });
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

  test('every loadTextContent file exists', () => {
    for (const path of files.keys()) {
      for (const loaded of loadedTextFiles(path)) {
        expect({ template: path, loaded, exists: existsSync(join(INFRA, loaded)) }).toEqual({
          template: path,
          loaded,
          exists: true,
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
    for (const name of settingsRead) {
      const decided = appSettingNames.includes(name) || name in LEFT_UNSET;
      expect({ setting: name, decided }).toEqual({ setting: name, decided: true });
    }
  });

  test('the left-unset list only names settings the code reads and the infra does not set', () => {
    for (const name of Object.keys(LEFT_UNSET)) {
      expect({ setting: name, read: settingsRead.includes(name) }).toEqual({ setting: name, read: true });
      expect({ setting: name, set: appSettingNames.includes(name) }).toEqual({ setting: name, set: false });
    }
  });

  test('every setting the infra sets is read by the code or is a platform setting', () => {
    for (const name of appSettingNames) {
      const known = settingsRead.includes(name) || PLATFORM_SETTINGS.has(name);
      expect({ setting: name, known }).toEqual({ setting: name, known: true });
    }
  });

  test('every connection and %setting% a function binding names is set at host start', () => {
    const sources = sourceFilesUnder(join(ROOT, 'functions')).map((path) => readFileSync(path, 'utf8'));
    const connections = sources.flatMap((text) => [...text.matchAll(/connection:\s*'(\w+)'/g)].map((m) => m[1]!));
    expect(connections).toContain('AzureWebJobsStorage');
    for (const connection of connections) {
      // Identity-based: the host reads <connection>__queueServiceUri (or __serviceUri) with __credential, __clientId.
      const set = [`${connection}__queueServiceUri`, `${connection}__credential`, `${connection}__clientId`];
      for (const name of set)
        expect({ connection, setting: name, set: appSettingNames.includes(name) }).toEqual({
          connection,
          setting: name,
          set: true,
        });
    }
    for (const text of sources) {
      for (const m of text.matchAll(/'%([A-Za-z0-9_]+)%'/g))
        expect({ bindingExpression: m[1], set: appSettingNames.includes(m[1]!) }).toEqual({
          bindingExpression: m[1],
          set: true,
        });
    }
  });

  test("no key or secret is put in a setting, except recordingState's own key in its callback URL", () => {
    for (const name of appSettingNames) {
      // The Application Insights connection string only locates the component (local auth is off, see monitoring.bicep).
      const keyBased = /CONNECTION_STRING$/.test(name) && name !== 'APPLICATIONINSIGHTS_CONNECTION_STRING';
      expect({ setting: name, keyBased }).toEqual({ setting: name, keyBased: false });
      expect(name).not.toMatch(/key|secret|password|token/i);
      if (name === 'RECORDING_STATE_CALLBACK_URL') continue;
      expect(appSetting(name)).not.toMatch(/listKeys|list\(|AccountKey|accesskey|SharedAccessSignature|sig=/i);
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
  });

  test('the topic check and the callback JWT audience come from the ACS resource itself', () => {
    expect(appSetting('ACS_RESOURCE_ID')).toBe('acsResourceId');
    expect(appSetting('ACS_IMMUTABLE_RESOURCE_ID')).toBe('acsImmutableResourceId');
    expect(moduleParam('app', 'acsResourceId')).toBe('communicationServiceId');
    expect(main.vars.get('communicationServiceId')).toMatch(/'Microsoft\.Communication\/communicationServices'/);
    // Both a new and an existing resource: its read-only immutableResourceId property, never a parameter to type.
    expect(moduleParam('app', 'acsImmutableResourceId')).toBe('acsImmutableResourceId');
    const immutable = main.vars.get('acsImmutableResourceId') ?? '';
    expect(immutable).toMatch(/acsAccess\.outputs\.immutableResourceId/);
    expect(immutable).toMatch(/existingCommunicationService\.properties\.immutableResourceId/);
    const acsAccess = file('app/acs-access.bicep');
    expect(acsAccess.outputs.find((o) => o.name === 'immutableResourceId')?.value).toBe(
      'communicationService.properties.immutableResourceId',
    );
  });

  test('the queue setting, the queue and its poison queue agree with the code', () => {
    const defaultQueue = /DEFAULT_ARCHIVE_QUEUE = '([a-z0-9-]+)'/.exec(configSource)?.[1];
    expect(defaultQueue).toBe('archive-chunks');
    expect(/poisonName: `\$\{name\}-poison`/.test(configSource)).toBe(true);
    expect(main.code).toMatch(new RegExp(`^param archiveQueueName string = '${defaultQueue}'$`, 'm'));
    expect(appSetting('ARCHIVE_QUEUE')).toBe('archiveQueue.name');
    const queues = functionApp.resources.filter(
      (r) => r.type === 'Microsoft.Storage/storageAccounts/queueServices/queues',
    );
    expect(queues.map((q) => [q.symbol, propertyValue(q.body, 'name')])).toEqual([
      ['archiveQueue', 'archiveQueueName'],
      ['poisonQueue', "'${archiveQueueName}-poison'"],
    ]);
  });

  test("RECORDING_STATE_CALLBACK_URL carries recordingState's own key, only once the code exists", () => {
    const value = appSetting('RECORDING_STATE_CALLBACK_URL') ?? '';
    expect(value).toMatch(/^codeDeployed\s*\?/);
    expect(value).toMatch(/:\s*''$/);
    expect(main.code).toMatch(/^param codeDeployed bool = false$/m);
    const parameters = JSON.parse(readInfra('main.parameters.json')) as {
      parameters: Record<string, { value: string }>;
    };
    expect(parameters.parameters.codeDeployed?.value).toBe('${ARCHIVER_CODE_DEPLOYED=false}');
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
    expect(appSetting('ARCHIVE_CONTAINER')).toBe('archiveContainerName');
    expect(moduleParam('app', 'archiveContainerName')).toBe('archive.outputs.archiveContainerName');
  });

  test('the sweeper warns at least as early as the near-deadline alert reads its lines', () => {
    expect(appSetting('ARCHIVE_DEADLINE_WARNING_HOURS')).toBe('string(deadlineWarningHours)');
    expect(moduleParam('app', 'deadlineWarningHours')).toBe('max(deadlineWarningHours, alertNearDeadlineHours)');
    expect(moduleParam('alerts', 'nearDeadlineHours')).toBe('alertNearDeadlineHours');
  });
});

describe('function keys', () => {
  const routeOf = (functionName: string): string | undefined =>
    /route:\s*'([^'{]+)/.exec(readRoot(`functions/${functionName}.ts`))?.[1];

  /** Every `https://<host>/api/<route>?code=${listKeys('<site>/functions/<name>', ...).default}` in the templates. */
  const keyedUrls = [...rawText.entries()].flatMap(([path, text]) =>
    [
      ...text.matchAll(
        /'https:\/\/\$\{functionApp\.properties\.defaultHostName\}\/api\/([a-z-]+)\?code=\$\{listKeys\('\$\{functionApp\.id\}\/functions\/(\w+)', '[\d-]+'\)\.default\}'/g,
      ),
    ].map((m) => ({ template: path, route: m[1]!, functionName: m[2]! })),
  );

  test('each URL carries the key of the function it calls, and only there', () => {
    expect(keyedUrls).toEqual([
      { template: 'app/function.bicep', route: 'recording-state', functionName: 'recordingState' },
      { template: 'callback-url.bicep', route: 'recording-state', functionName: 'recordingState' },
      { template: 'subscriptions.bicep', route: 'call-events', functionName: 'callEvents' },
    ]);
    for (const url of keyedUrls) {
      expect({ ...url, registeredRoute: routeOf(url.functionName) }).toEqual({ ...url, registeredRoute: url.route });
    }
    // Every listKeys in the templates is one of those.
    const listKeysCalls = allFiles.flatMap((f) => [...f.code.matchAll(/listKeys\(/g)]).length;
    expect(listKeysCalls).toBe(keyedUrls.length);
  });

  test('never the host default, master or system keys; no key passes through a script', () => {
    for (const [path, text] of rawText) {
      expect({ path, hostKey: /\/host\/default|functionKeys|masterKey|systemKeys/.test(text) }).toEqual({
        path,
        hostKey: false,
      });
    }
    for (const script of ['postdeploy.sh', 'postdeploy.ps1', 'preprovision.sh', 'preprovision.ps1']) {
      const text = readInfra(`scripts/${script}`);
      expect({ script, readsKeys: /keys list|listKeys|listkeys|host\/default|--show-keys/i.test(text) }).toEqual({
        script,
        readsKeys: false,
      });
    }
  });

  test('archiveRecording is an AzureFunction endpoint: no key in any URL', () => {
    const archive = subscriptions.resources.find((r) => r.symbol === 'archiveSubscription')!;
    const destination = propertyValue(propertiesOf(archive.body), 'destination')!;
    expect(destination).toMatch(/endpointType:\s*'AzureFunction'/);
    expect(destination).toMatch(/resourceId:\s*'\$\{functionApp\.id\}\/functions\/archiveRecording'/);
    expect(destination).not.toMatch(/code=|endpointUrl/);
  });

  test('the callback URL merges into the current settings instead of replacing them', () => {
    const callback = file('callback-url.bicep');
    const settings = callback.modules.find((m) => m.symbol === 'settings')!;
    expect(settings.path).toBe('app/merge-app-settings.bicep');
    expect(propertyValue(propertyValue(settings.body, 'params')!, 'currentSettings')).toBe(
      "list('${functionApp.id}/config/appsettings', '2024-04-01').properties",
    );
    const merge = file('app/merge-app-settings.bicep');
    expect(propertyValue(merge.resources[1]!.body, 'properties')).toBe('union(currentSettings, newSettings)');
    expect(merge.code).toMatch(/@secure\(\)\s*\n@description\(.*\)\s*\nparam currentSettings object/);
  });
});

describe('WORM, the control container and re-provisioning', () => {
  const container = (symbol: string) => archiveStorage.resources.find((r) => r.symbol === symbol)!;

  test('WORM is a separate container, immutable from its creation; the plain one never gets a policy', () => {
    expect(propertiesOf(container('archiveContainer').body)).not.toMatch(/immutab/i);
    const worm = container('immutableArchiveContainer');
    expect(worm.body.length).toBeGreaterThan(0);
    expect(archiveStorage.code).toMatch(/^resource immutableArchiveContainer '[^']+' = if \(enableImmutability\) \{/m);
    expect(propertyValue(propertiesOf(worm.body), 'immutableStorageWithVersioning')).toMatch(
      /^\{\s*enabled: true\s*\}$/,
    );
    expect(archiveStorage.code).toMatch(
      /^param immutableArchiveContainerName string = '\$\{archiveContainerName\}-worm'$/m,
    );
    expect(archiveStorage.outputs.find((o) => o.name === 'archiveContainerName')?.value).toBe(
      'enableImmutability ? immutableArchiveContainerName : archiveContainer.name',
    );
    expect(archiveStorage.code).toMatch(/^param enableImmutability bool = false$/m);
  });

  test('the immutability policy is deployed only while it is not locked (a locked policy refuses updates)', () => {
    const policy = archiveStorage.resources.find(
      (r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies',
    )!;
    expect(archiveStorage.code).toMatch(
      /^resource archiveRetention '[^']+' = if \(enableImmutability && applyImmutabilityPolicy\) \{/m,
    );
    expect(propertyValue(policy.body, 'parent')).toBe('immutableArchiveContainer');
    expect(moduleParam('archive', 'applyImmutabilityPolicy')).toBe('applyImmutabilityPolicy');
    const parameters = JSON.parse(readInfra('main.parameters.json')) as {
      parameters: Record<string, { value: string }>;
    };
    expect(parameters.parameters.applyImmutabilityPolicy?.value).toBe('${ARCHIVE_IMMUTABILITY_POLICY_APPLY=true}');
    for (const script of ['preprovision.sh', 'preprovision.ps1']) {
      const text = readInfra(`scripts/${script}`);
      expect(text).toMatch(/ARCHIVE_IMMUTABILITY_POLICY_APPLY/);
      expect(text).toMatch(/Locked/);
      // The WORM container's name as the scripts compute it, the same rule as archive-storage.bicep.
      expect(text).toMatch(/-worm/);
    }
  });

  test('the control container is outside any immutability policy, with its own role for the app', () => {
    expect(propertiesOf(container('controlContainer').body)).not.toMatch(/immutab/i);
    const assignment = rbac.resources.find((r) => r.symbol === 'appControlContainer')!;
    expect(propertyValue(assignment.body, 'scope')).toBe('controlContainer');
    expect(moduleParam('rbac', 'controlContainerName')).toBe('archive.outputs.controlContainerName');
    expect(moduleParam('rbac', 'archiveContainerName')).toBe('archive.outputs.archiveContainerName');
  });

  test("the lifecycle covers every archive container and the control container's old versions", () => {
    expect(archiveStorage.vars.get('archivePrefixes')).toMatch(/immutableArchiveContainerName/);
    expect(archiveStorage.vars.get('onlineTierRules')).toMatch(/prefixMatch:\s*archivePrefixes/);
    expect(archiveStorage.vars.get('archiveTierRules')).toMatch(/prefixMatch:\s*archivePrefixes/);
    expect(archiveStorage.vars.get('versionRules')).toMatch(/controlContainerName/);
  });
});

describe('resources', () => {
  test('the function app runs Node 22 on Flex Consumption as the user-assigned identity', () => {
    const plan = resourcesOfType('Microsoft.Web/serverfarms')[0]!;
    expect(propertyValue(plan.body, 'sku')).toMatch(/tier:\s*'FlexConsumption'[\s\S]*name:\s*'FC1'/);
    expect(propertyValue(propertiesOf(plan.body), 'reserved')).toBe('true');
    const site = resourcesOfType('Microsoft.Web/sites', { existing: false })[0]!;
    expect(propertyValue(site.body, 'kind')).toBe("'functionapp,linux'");
    expect(propertyValue(site.body, 'identity')).toMatch(/type:\s*'UserAssigned'/);
    const properties = propertiesOf(site.body);
    expect(propertyValue(properties, 'httpsOnly')).toBe('true');
    const config = propertyValue(properties, 'functionAppConfig')!;
    expect(propertyValue(config, 'runtime')).toMatch(/name:\s*'node'\s*\n\s*version:\s*'22'/);
    const deployment = propertyValue(config, 'deployment')!;
    expect(deployment).toMatch(/type:\s*'blobContainer'/);
    expect(deployment).toMatch(/type:\s*'UserAssignedIdentity'/);
  });

  test('archiveChunk scales on its own up to a stated maximum', () => {
    const scale = propertyValue(
      propertyValue(
        propertiesOf(resourcesOfType('Microsoft.Web/sites', { existing: false })[0]!.body),
        'functionAppConfig',
      )!,
      'scaleAndConcurrency',
    )!;
    expect(propertyValue(scale, 'maximumInstanceCount')).toBe('maximumInstanceCount');
    expect(propertyValue(scale, 'alwaysReady')).toMatch(/name:\s*'function:archiveChunk'/);
    expect(functionApp.code).toMatch(/^param maximumInstanceCount int = 40$/m);
    expect(main.code).toMatch(/^param maximumInstanceCount int = 40$/m);
    // The reasons are written next to the value (per-function scaling, quota, throughput).
    const text = rawText.get('app/function.bicep')!;
    expect(text).toMatch(/per-function-scaling/);
    expect(text).toMatch(/512,000 MB/);
  });

  test('every storage account refuses keys, public blobs, plain HTTP and old TLS', () => {
    const accounts = resourcesOfType('Microsoft.Storage/storageAccounts', { existing: false });
    expect(accounts.length).toBe(2);
    for (const account of accounts) {
      const properties = propertiesOf(account.body);
      expect({ file: account.file, allowSharedKeyAccess: propertyValue(properties, 'allowSharedKeyAccess') }).toEqual({
        file: account.file,
        allowSharedKeyAccess: 'false',
      });
      expect(propertyValue(properties, 'minimumTlsVersion')).toBe("'TLS1_2'");
      expect(propertyValue(properties, 'allowBlobPublicAccess')).toBe('false');
      expect(propertyValue(properties, 'supportsHttpsTrafficOnly')).toBe('true');
    }
    for (const c of resourcesOfType('Microsoft.Storage/storageAccounts/blobServices/containers', { existing: false })) {
      expect(c.body).toMatch(/publicAccess:\s*'None'/);
    }
  });

  test('the archive has versioning, soft delete, its containers and a lifecycle that spares manifests the offline tier', () => {
    const blobService = archiveStorage.resources.find(
      (r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices',
    )!;
    const properties = propertiesOf(blobService.body);
    expect(propertyValue(properties, 'isVersioningEnabled')).toBe('true');
    expect(propertyValue(properties, 'deleteRetentionPolicy')).toMatch(/enabled:\s*true/);
    expect(propertyValue(properties, 'containerDeleteRetentionPolicy')).toMatch(/enabled:\s*true/);
    const containerNames = archiveStorage.resources
      .filter((r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices/containers')
      .map((r) => propertyValue(r.body, 'name'));
    expect(containerNames).toEqual([
      'archiveContainerName',
      'immutableArchiveContainerName',
      'controlContainerName',
      'deadLetterContainerName',
    ]);
    expect(main.vars.get('deadLetterContainerName')).toBe("'eventgrid-deadletter'");
    const archiveRule = archiveStorage.vars.get('archiveTierRules')!;
    expect(archiveRule).toMatch(/tierToArchive/);
    expect(archiveRule).toMatch(/blobIndexMatch/);
    for (const [name, value] of archiveStorage.vars) {
      if (name !== 'archiveTierRules')
        expect({ var: name, archives: /tierToArchive/.test(value) }).toEqual({ var: name, archives: false });
    }
  });

  test('a new Communication Services resource is global and keyless by default', () => {
    const acs = resourcesOfType('Microsoft.Communication/communicationServices', { existing: false });
    expect(acs.length).toBe(1);
    expect(propertyValue(acs[0]!.body, 'location')).toBe("'global'");
    expect(propertyValue(propertiesOf(acs[0]!.body), 'disableLocalAuth')).toBe('disableLocalAuth');
    expect(main.code).toMatch(/^param acsDisableLocalAuth bool = true$/m);
  });

  test('the system topic is global, on ACS, with its own identity', () => {
    const topics = resourcesOfType('Microsoft.EventGrid/systemTopics', { existing: false });
    expect(topics.length).toBe(1);
    const topic = topics[0]!;
    expect(propertyValue(topic.body, 'location')).toBe("'global'");
    expect(propertyValue(topic.body, 'identity')).toMatch(/type:\s*'SystemAssigned'/);
    expect(propertyValue(propertiesOf(topic.body), 'topicType')).toBe(
      "'Microsoft.Communication.CommunicationServices'",
    );
  });

  test('event subscriptions are per environment, deliver to the contract functions and dead-letter with the topic identity', () => {
    const deadLetter = subscriptions.vars.get('deadLetter')!;
    expect(deadLetter).toMatch(/type:\s*'SystemAssigned'/);
    expect(deadLetter).toMatch(/endpointType:\s*'StorageBlob'/);
    const eventSubscriptions = subscriptions.resources.filter(
      (r) => r.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
    );
    expect(eventSubscriptions.map((s) => propertyValue(s.body, 'name'))).toEqual([
      'archiveSubscriptionName',
      'callEventsSubscriptionName',
    ]);
    expect(subscriptions.vars.get('archiveSubscriptionName')).toBe("'archive-files-${environmentSuffix}'");
    expect(subscriptions.vars.get('callEventsSubscriptionName')).toBe("'call-events-${environmentSuffix}'");
    expect(subscriptions.vars.get('environmentSuffix')).toMatch(/environmentName/);
    expect(subscriptions.params.find((p) => p.name === 'environmentName')?.hasDefault).toBe(false);
    for (const s of eventSubscriptions) {
      const properties = propertiesOf(s.body);
      expect(propertyValue(properties, 'deadLetterWithResourceIdentity')).toBe('deadLetter');
      expect(propertyValue(properties, 'retryPolicy')).toMatch(/eventTimeToLiveInMinutes:\s*1440/);
    }
    const calls = propertiesOf(eventSubscriptions[1]!.body);
    expect(propertyValue(calls, 'destination')).toMatch(/endpointType:\s*'WebHook'/);
    expect(propertyValue(calls, 'filter')).toMatch(
      /'Microsoft\.Communication\.CallStarted'[\s\S]*'Microsoft\.Communication\.CallEnded'/,
    );
    expect(propertyValue(propertiesOf(eventSubscriptions[0]!.body), 'filter')).toMatch(
      /'Microsoft\.Communication\.RecordingFileStatusUpdated'/,
    );
  });

  test('the retry comments state the real schedule: about 11 attempts in 24 h, TTL checked at the next attempt', () => {
    const text = rawText.get('subscriptions.bicep')!;
    expect(text).toMatch(/10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every 12 h/);
    expect(text).toMatch(/about 11 attempts fit into the default 24 h time to live/);
    expect(text).toMatch(/checked only at the next scheduled attempt/);
    expect(text).not.toMatch(/30 attempts within 24|every attempt Event Grid allows \(30\)/);
  });
});

/** Role assignments: who gets which role (built-in GUID or custom role param) on what. */
interface RoleAssignment {
  file: string;
  symbol: string;
  role: string;
  principal: string;
  scopeType: string;
}

const roleByGuid = new Map(Object.entries(BUILT_IN_ROLES).map(([name, r]) => [r.id, name]));

function roleAssignments(): RoleAssignment[] {
  return [...files.entries()].flatMap(([path, f]) =>
    f.resources
      .filter((r) => r.type === 'Microsoft.Authorization/roleAssignments' && !r.existing)
      .map((r) => {
        const properties = propertiesOf(r.body);
        const definition = propertyValue(properties, 'roleDefinitionId') ?? '';
        const roleVar = /roleDefinitions'\s*,\s*(\w+)\s*\)/.exec(definition)?.[1];
        const guid = roleVar ? (f.vars.get(roleVar) ?? '').replace(/'/g, '') : undefined;
        const role = guid ? (roleByGuid.get(guid) ?? `unknown ${guid}`) : `custom:${definition}`;
        const scopeSymbol = propertyValue(r.body, 'scope') ?? '';
        const scopeType = f.resources.find((s) => s.symbol === scopeSymbol)?.type ?? `unknown scope ${scopeSymbol}`;
        return {
          file: path,
          symbol: r.symbol,
          role,
          principal: propertyValue(properties, 'principalId') ?? '',
          scopeType,
        };
      }),
  );
}

const APP = 'appPrincipalId';
const OPERATOR = 'operatorPrincipalId';
const ACCOUNT = 'Microsoft.Storage/storageAccounts';
const CONTAINER = 'Microsoft.Storage/storageAccounts/blobServices/containers';
const QUEUE = 'Microsoft.Storage/storageAccounts/queueServices/queues';

/** Every role assignment the system makes, by symbol: nothing more, nothing less. */
const EXPECTED_ASSIGNMENTS: Record<string, Omit<RoleAssignment, 'file' | 'symbol'>> = {
  appRuntimeBlob: { principal: APP, role: 'Storage Blob Data Owner', scopeType: ACCOUNT },
  appRuntimeTable: { principal: APP, role: 'Storage Table Data Contributor', scopeType: ACCOUNT },
  appArchiveQueue: { principal: APP, role: 'custom:queueWorkerRoleDefinitionId', scopeType: QUEUE },
  appPoisonQueue: { principal: APP, role: 'Storage Queue Data Message Sender', scopeType: QUEUE },
  appArchiveContainer: { principal: APP, role: 'custom:archiveWriterRoleDefinitionId', scopeType: CONTAINER },
  appControlContainer: { principal: APP, role: 'Storage Blob Data Contributor', scopeType: CONTAINER },
  appTelemetry: { principal: APP, role: 'Monitoring Metrics Publisher', scopeType: 'Microsoft.Insights/components' },
  appControlsRecordings: {
    principal: APP,
    role: 'Communication and Email Service Owner',
    scopeType: 'Microsoft.Communication/communicationServices',
  },
  topicDeadLetter: { principal: 'topicPrincipalId', role: 'Storage Blob Data Contributor', scopeType: CONTAINER },
  operatorArchiveBlob: { principal: OPERATOR, role: 'Storage Blob Data Owner', scopeType: ACCOUNT },
  operatorArchiveQueue: { principal: OPERATOR, role: 'Storage Queue Data Contributor', scopeType: QUEUE },
  operatorPoisonQueue: { principal: OPERATOR, role: 'Storage Queue Data Contributor', scopeType: QUEUE },
};

describe('roles', () => {
  test('every role definition GUID in the templates is a built-in role listed with its source', () => {
    const known = new Set(Object.values(BUILT_IN_ROLES).map((r) => r.id));
    for (const f of allFiles) {
      for (const guid of f.code.match(GUID) ?? [])
        expect({ file: f.path, guid, known: known.has(guid.toLowerCase()) }).toEqual({
          file: f.path,
          guid,
          known: true,
        });
    }
    for (const role of Object.values(BUILT_IN_ROLES)) expect(role.source).toMatch(/^https:\/\/learn\.microsoft\.com\//);
  });

  test('every assignment is the expected role for the expected principal on the expected kind of resource', () => {
    const actual = Object.fromEntries(
      roleAssignments().map(({ symbol, role, principal, scopeType }) => [symbol, { principal, role, scopeType }]),
    );
    expect(actual).toEqual(EXPECTED_ASSIGNMENTS);
  });

  test('custom roles use only documented storage permissions: the app can neither delete archives nor miss Update Message', () => {
    const definitions = customRoles.resources.filter((r) => r.type === 'Microsoft.Authorization/roleDefinitions');
    expect(definitions.map((d) => d.symbol)).toEqual(['archiveWriter', 'queueWorker']);
    const permissionsOf = (symbol: string) => {
      const block = propertyValue(propertiesOf(definitions.find((d) => d.symbol === symbol)!.body), 'permissions')!;
      const inner = block.slice(block.indexOf('{'), block.lastIndexOf('}') + 1);
      const strings = (key: string) => [...(propertyValue(inner, key) ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]!);
      return { actions: strings('actions'), dataActions: strings('dataActions') };
    };
    const writer = permissionsOf('archiveWriter');
    const worker = permissionsOf('queueWorker');
    for (const permission of [...writer.actions, ...writer.dataActions, ...worker.actions, ...worker.dataActions])
      expect({ permission, documented: permission in STORAGE_PERMISSIONS }).toEqual({ permission, documented: true });
    expect(writer.dataActions.sort()).toEqual([
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
      'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write',
    ]);
    expect(worker.dataActions).toContain('Microsoft.Storage/storageAccounts/queueServices/queues/messages/write');
    expect(worker.dataActions).toContain('Microsoft.Storage/storageAccounts/queueServices/queues/messages/add/action');
    expect(worker.actions).toEqual(['Microsoft.Storage/storageAccounts/queueServices/queues/read']);
    for (const d of definitions) {
      expect(propertyValue(propertiesOf(d.body), 'assignableScopes')).toMatch(/resourceGroup\(\)\.id/);
      expect(propertyValue(propertiesOf(d.body), 'roleName')).toMatch(/\$\{environmentName\}/);
    }
    expect(moduleParam('rbac', 'archiveWriterRoleDefinitionId')).toBe(
      'customRoles.outputs.archiveWriterRoleDefinitionId',
    );
    expect(moduleParam('rbac', 'queueWorkerRoleDefinitionId')).toBe('customRoles.outputs.queueWorkerRoleDefinitionId');
  });

  test("role assignments are idempotent, and the app's are never at group or subscription scope", () => {
    for (const f of allFiles) {
      for (const r of f.resources.filter((x) => x.type === 'Microsoft.Authorization/roleAssignments')) {
        expect(propertyValue(r.body, 'name')).toMatch(/^guid\(/);
        expect(propertyValue(r.body, 'scope')).toMatch(/^\w+$/);
      }
    }
    for (const a of roleAssignments()) expect(a.scopeType).not.toMatch(/resourceGroups|unknown/);
  });
});

describe('parameters, outputs and wiring', () => {
  const parameters = JSON.parse(readInfra('main.parameters.json')) as {
    parameters: Record<string, { value: unknown }>;
  };
  /** azd environment names main.parameters.json reads (`${NAME}` or `${NAME=default}`). */
  const parameterVariables = Object.values(parameters.parameters).flatMap((p) =>
    [...String(p.value).matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
  );

  test('main.parameters.json names only parameters of main.bicep and provides every required one', () => {
    const declared = main.params.map((p) => p.name);
    for (const name of Object.keys(parameters.parameters))
      expect({ param: name, declared: declared.includes(name) }).toEqual({ param: name, declared: true });
    for (const p of main.params.filter((q) => !q.hasDefault))
      expect(Object.keys(parameters.parameters)).toContain(p.name);
    expect(parameters.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(parameters.parameters.alertEmailAddress?.value).toBe('${ALERT_EMAIL=}');
  });

  test('no output names or carries a secret, in any template', () => {
    for (const f of allFiles) {
      for (const output of f.outputs) {
        expect(`${f.path}: ${output.name}`).not.toMatch(/key|secret|password|connectionstring|token|sas/i);
        expect(`${f.path}: ${output.value}`).not.toMatch(
          /listKeys|list\(|listAccountSas|listServiceSas|connectionString|secret|key/i,
        );
      }
    }
  });

  test("the hook scripts use only main.bicep outputs, azd parameters and azd's own values", () => {
    const outputs = main.outputs.map((o) => o.name);
    for (const script of ['postdeploy.sh', 'postdeploy.ps1', 'preprovision.sh', 'preprovision.ps1']) {
      const text = readInfra(`scripts/${script}`).replace(/^\s*#.*$/gm, '');
      const reference = script.endsWith('.ps1')
        ? /\$env:([A-Za-z][A-Za-z0-9_]*)|GetEnvironmentVariable\(\$name\)|'([A-Z][A-Z0-9_]+)'/g
        : /\$\{?([A-Z][A-Z0-9_]*)\b/g;
      const used = [...text.matchAll(reference)].map((m) => m[1] ?? m[2] ?? '').filter(Boolean);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used) {
        const known =
          outputs.includes(name) ||
          parameterVariables.includes(name) ||
          name in AZD_ENVIRONMENT ||
          // set by the scripts themselves for main.parameters.json
          ['ARCHIVER_CODE_DEPLOYED', 'ARCHIVE_IMMUTABILITY_ALLOW_DISABLE'].includes(name);
        expect({ script, name, known }).toEqual({ script, name, known: true });
      }
    }
  });

  test("each deployment the post-deploy scripts run passes exactly its template's parameters, under a per-environment name", () => {
    for (const script of ['postdeploy.sh', 'postdeploy.ps1']) {
      const text = readInfra(`scripts/${script}`);
      const blocks = text.split(/az deployment group create/).slice(1);
      expect(blocks.length).toBe(2);
      const templates: string[] = [];
      for (const block of blocks) {
        const template = /--template-file\s+(?:"\$infra\/|\(Join-Path \$infra ')([\w-]+\.bicep)/.exec(block)?.[1];
        expect({ script, template }).toEqual({ script, template: expect.stringMatching(/\.bicep$/) });
        templates.push(template!);
        const params = file(template!).params;
        const passed = [...block.split('--output none')[0]!.matchAll(/"?(\w+)="?\$(?:\(\$env:)?[A-Za-z]/g)].map(
          (m) => m[1]!,
        );
        for (const name of passed)
          expect({ script, template, name, declared: params.some((p) => p.name === name) }).toEqual({
            script,
            template,
            name,
            declared: true,
          });
        for (const p of params.filter((q) => !q.hasDefault))
          expect({ script, template, required: p.name, passed: passed.includes(p.name) }).toEqual({
            script,
            template,
            required: p.name,
            passed: true,
          });
        expect(block).toMatch(/--name "cra-[a-z-]+-\$(env_suffix|envSuffix)"/);
      }
      expect(templates.sort()).toEqual(['callback-url.bicep', 'subscriptions.bicep']);
    }
  });

  test('azure.yaml: hooks exist, the service deploys the lean staged package as built', () => {
    const azureYaml = readRoot('azure.yaml');
    expect(azureYaml).toMatch(/^\s{4}host: function$/m);
    expect(azureYaml).toMatch(/^\s{2}api:$/m);
    expect(functionApp.code).toMatch(/'azd-service-name': 'api'/);
    expect(azureYaml).toMatch(/^\s{4}dist: \.package\/app$/m);
    expect(azureYaml).toMatch(/^\s{4}remoteBuild: false$/m);
    expect(azureYaml).toMatch(/^requiredVersions:\n\s+azd: ['"]>= 1\.23\.12['"]$/m);
    // The packager's default stage folder is the one azd zips.
    expect(readRoot('dev/package/package.ts')).toMatch(/stageDir: path\.join\(root, '\.package', 'app'\)/);
    expect(azureYaml).toMatch(
      /prepackage:[\s\S]*node dist\/dev\/package\/package\.js --stage-only[\s\S]*node dist\/dev\/package\/package\.js --stage-only/,
    );
    const scripts = [...azureYaml.matchAll(/run:\s*(\.\/\S+)/g)].map((m) => m[1] ?? '');
    expect(scripts).toEqual([
      './infra/scripts/preprovision.sh',
      './infra/scripts/preprovision.ps1',
      './infra/scripts/postdeploy.sh',
      './infra/scripts/postdeploy.ps1',
    ]);
    for (const script of scripts) expect(existsSync(join(ROOT, script))).toBe(true);
  });

  test('.funcignore never excludes node_modules (azd refuses remoteBuild: false with it) and leaves out sources and settings', () => {
    const lines = readRoot('.funcignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(lines.filter((l) => /node_modules/.test(l))).toEqual([]);
    for (const pattern of ['dist/dev/', 'dist/test/', 'test/', 'local.settings*.json', 'infra/', '.package/'])
      expect(lines).toContain(pattern);
  });

  test('the ACS role is documented with how to check it: 401/403, the AcsAccessDenied line, the alert', () => {
    const text = rawText.get('app/acs-access.bicep')!;
    expect(text).toMatch(/NOT CONFIRMED/);
    expect(text).toMatch(/401 or 403/);
    expect(text).toMatch(/AcsAccessDenied \{"operation"/);
    expect(text).toMatch(/az role assignment list --assignee/);
    expect(readRoot('shared/telemetry.ts')).toMatch(
      /AcsAccessDenied: \['operation', 'status', 'failureCode', 'target'\]/,
    );
  });
});
