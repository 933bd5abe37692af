import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { evaluate, objectKeys, parseBicep, propertyValue } from '../../helpers/infra/bicep';
import {
  AZD_ENVIRONMENT,
  BUILT_IN_ROLES,
  MICROSOFT_COMMUNICATION_DATA_ACTIONS,
  PREVIEW_API_VERSIONS,
  RESOURCE_TYPES,
  STORAGE_PERMISSIONS,
} from '../../helpers/infra/sources';
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
} from '../../helpers/infra/templates';

/**
 * The invariants of infra/ that can be checked without the Bicep compiler or Azure: security settings (keys, TLS,
 * public access, identities, least-privilege roles, WORM), and wiring (every setting the code reads, module
 * parameters and outputs, the event subscriptions' filters, endpoints and dead-letter, what the hook scripts pass).
 * The templates are read as text (./bicep.ts) and compared with the code (shared/config.ts, functions/), with each
 * other, with main.parameters.json, azure.yaml and the hook scripts, and with published facts (./sources.ts). What a
 * comment says, or how an expression is spelled when its meaning is not at stake, is not checked.
 * `az bicep build --file infra/main.bicep` and infra/scripts/whatif.sh check the rest where Azure is reachable. The
 * hook scripts are run for real in scripts.test.ts, the monitoring queries checked in monitoring.test.ts, the
 * package built and opened in package.test.ts.
 */

const main = file('main.bicep');
const functionApp = file('app/function.bicep');
const archiveStorage = file('app/archive-storage.bicep');
const customRoles = file('app/custom-roles.bicep');
const subscriptions = file('subscriptions.bicep');
const appSettingsObject = functionApp.vars.get('appSettings') ?? '';
const appSettingNames = objectKeys(appSettingsObject);

/** The value expression of one app setting, as written in the template (comments removed, spaces collapsed). */
function appSetting(name: string): string | undefined {
  return propertyValue(appSettingsObject, name)?.replace(/\s+/g, ' ');
}

/** A module call's value for one of its params. */
function moduleParam(symbol: string, param: string, inFile = main): string | undefined {
  const m = inFile.modules.find((x) => x.symbol === symbol);
  return m ? propertyValue(propertyValue(m.body, 'params') ?? '{}', param)?.replace(/\s+/g, ' ') : undefined;
}

/** The default value of a param, as written. */
function paramDefault(inFile: ReturnType<typeof file>, name: string): string | undefined {
  return inFile.params.find((p) => p.name === name)?.defaultValue;
}

const parameters = JSON.parse(readInfra('main.parameters.json')) as {
  parameters: Record<string, { value: string }>;
};

/** main.bicep and every template it deploys, transitively: what one `azd provision` deploys. */
function provisionedTemplates(): string[] {
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const m of file(path).modules) {
      visit(
        relative(INFRA, join(dirname(join(INFRA, path)), m.path))
          .split('\\')
          .join('/'),
      );
    }
  };
  visit('main.bicep');
  return [...seen];
}

// --- what the code reads -------------------------------------------------------------------------------------

/** The settings code: shared/config.ts, or the files of shared/config/ (either layout). */
const configSource = [
  ...(existsSync(join(ROOT, 'shared', 'config.ts')) ? [join(ROOT, 'shared', 'config.ts')] : []),
  ...sourceFilesUnder(join(ROOT, 'shared', 'config')),
]
  .map((path) => readFileSync(path, 'utf8'))
  .join('\n');

/**
 * Every setting name the settings code reads (each reader is called as `reader(env, 'NAME', ...)`), and every name
 * of its SETTING_NAMES list when it has one.
 */
const settingsReadByConfig = [
  ...new Set([
    ...[...configSource.matchAll(/\(env,\s*'([A-Za-z][A-Za-z0-9_]*)'/g)].map((m) => m[1] ?? ''),
    ...[...(/SETTING_NAMES = \[([^\]]*)\]/.exec(configSource)?.[1]?.matchAll(/'([A-Za-z][A-Za-z0-9_]*)'/g) ?? [])].map(
      (m) => m[1] ?? '',
    ),
  ]),
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
  ARCHIVE_STORAGE_HTTP_CLIENT: 'left at its default (undici); sdk is the fallback to the Storage SDK own client',
  // 120 s of re-enqueueing per run fits the 5-minute timer with room to spare.
  SWEEP_BUDGET_SECONDS: 'left at its default (120 s), well under the 5-minute timer period',
  // Test-only fault injection (shared/archive/crashPoints.ts kills the process at a named point).
  ARCHIVE_CRASH_AT: 'test-only crash injection; never set in a deployment (the test fails if the infra sets it)',
  // The operator CLI's `redrive` reads it from the azd environment (main.bicep output DEAD_LETTER_CONTAINER).
  ACS_CALLBACK_AUTH: 'left unset (jwt): the deployment sets ACS_IMMUTABLE_RESOURCE_ID, so callbacks are checked',
  DEAD_LETTER_CONTAINER: 'read by the operator CLI, from the azd environment (an output), not by the app',
  // Audit records are written by the operator CLI only; the app has no role on that container (rbac.bicep).
  CONSOLE_AUTH: 'left unset (platform): in Azure the console opens only through App Service authentication',
  // Bring your own storage is the operator's choice of an external container; the deployment makes none.
  RECORDING_EXTERNAL_STORAGE_URL:
    'set by function.bicep (byosSettings) only when the byosContainerName param is given (infra/app/byos.bicep)',
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

const HOOK_SCRIPTS = [
  'postdeploy.sh',
  'postdeploy.ps1',
  'preprovision.sh',
  'preprovision.ps1',
  'whatif.sh',
  'whatif.ps1',
] as const;

describe('infra templates (read as text; no compiler, no Azure)', () => {
  test('the reader finds the templates, the settings the code reads and the app settings', () => {
    for (const path of ['main.bicep', 'subscriptions.bicep', 'callback-url.bicep', 'app/function.bicep'])
      expect([...files.keys()]).toContain(path);
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
      // listKeys('<site id>/functions/<name>', 'v') and list('<site id>/config/appsettings', 'v') call ARM too; the id
      // is a resource's `.id` or a var built with resourceId('<type>', ...).
      for (const m of f.code.matchAll(/\blist(?:Keys)?\('\$\{(\w+)(\.id)?\}\/([a-z]+)\/[^']*',\s*'([^']+)'\)/g)) {
        const type = m[2]
          ? f.resources.find((r) => r.symbol === m[1])?.type
          : /resourceId\(.*?'(Microsoft\.\w+\/\w+)'/.exec(f.vars.get(m[1]!) ?? '')?.[1];
        expect({ file: f.path, id: m[1], known: type !== undefined }).toEqual({ file: f.path, id: m[1], known: true });
        used.add(`${type}/${m[3]}@${m[4]}`);
      }
    }
    expect(used.size).toBeGreaterThanOrEqual(20);
    for (const typeAtVersion of used) {
      expect(`${typeAtVersion}`).toMatch(/^Microsoft\.[A-Za-z]+(\/[A-Za-z]+)+@\d{4}-\d{2}-\d{2}(-preview)?$/);
      // A preview api-version only where no stable one serves (sources.ts says why for each).
      if (typeAtVersion.endsWith('-preview')) expect(PREVIEW_API_VERSIONS).toContain(typeAtVersion);
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

  test('no key or secret is put in a setting; the callback URL, which carries a function key, only through a @secure param', () => {
    for (const name of appSettingNames) {
      // The Application Insights connection string only locates the component (local auth is off, see monitoring.bicep).
      const keyBased = /CONNECTION_STRING$/.test(name) && name !== 'APPLICATIONINSIGHTS_CONNECTION_STRING';
      expect({ setting: name, keyBased }).toEqual({ setting: name, keyBased: false });
      expect(name).not.toMatch(/key|secret|password|token/i);
      expect({ setting: name, value: appSetting(name) }).not.toEqual({
        setting: name,
        value: expect.stringMatching(/listKeys|list\(|AccountKey|accesskey|SharedAccessSignature|sig=/i),
      });
    }
    expect(appSettingNames).not.toContain('AzureWebJobsStorage');
    const callbackParam = appSetting('RECORDING_STATE_CALLBACK_URL')!;
    expect(functionApp.params.find((p) => p.name === callbackParam)?.decorators).toContain('secure');
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
    expect(appSetting('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toMatch(
      /ClientId=\$\{identity\.properties\.clientId\};Authorization=AAD/,
    );
    expect(appSetting('ACS_ENDPOINT')).toBe('acsEndpoint');
    expect(appSetting('ARCHIVE_STORAGE_URL')).toBe('archiveStorageUrl');
    expect(moduleParam('app', 'archiveStorageUrl')).toBe('archive.outputs.blobEndpoint');
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
    expect(paramDefault(main, 'archiveQueueName')).toBe(`'${defaultQueue}'`);
    expect(moduleParam('app', 'archiveQueueName')).toBe('archiveQueueName');
    expect(appSetting('ARCHIVE_QUEUE')).toBe('archiveQueue.name');
    const queues = functionApp.resources.filter(
      (r) => r.type === 'Microsoft.Storage/storageAccounts/queueServices/queues',
    );
    expect(queues.map((q) => [q.symbol, propertyValue(q.body, 'name')])).toEqual([
      ['archiveQueue', 'archiveQueueName'],
      ['poisonQueue', "'${archiveQueueName}-poison'"],
    ]);
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
    expect(appSetting('CONTROL_CONTAINER')).toBe('controlContainerName');
    expect(moduleParam('app', 'archiveContainerName')).toBe('archive.outputs.archiveContainerName');
    expect(moduleParam('app', 'controlContainerName')).toBe('archive.outputs.controlContainerName');
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

  test('each URL carries the key of the function it calls, only in the post-deploy templates, never output', () => {
    expect(keyedUrls).toEqual([
      { template: 'callback-url.bicep', route: 'recording-state', functionName: 'recordingState' },
      { template: 'subscriptions.bicep', route: 'call-events', functionName: 'callEvents' },
    ]);
    for (const url of keyedUrls) {
      expect({ ...url, registeredRoute: routeOf(url.functionName) }).toEqual({ ...url, registeredRoute: url.route });
    }
    // Every listKeys in the templates is one of those.
    const listKeysCalls = allFiles.flatMap((f) => [...f.code.matchAll(/listKeys\(/g)]).length;
    expect(listKeysCalls).toBe(keyedUrls.length);
    // The post-deploy scripts deploy exactly those two templates (and retry them).
    for (const script of ['postdeploy.sh', 'postdeploy.ps1']) {
      const text = readInfra(`scripts/${script}`);
      for (const url of keyedUrls) expect(text).toContain(url.template);
    }
  });

  test('nothing a provisioning deploys reads a function key (the host may be down then, and nothing retries)', () => {
    const provisioned = provisionedTemplates();
    expect(provisioned).toEqual(expect.arrayContaining(['main.bicep', 'app/function.bicep', 'app/rbac.bicep']));
    for (const path of provisioned) {
      expect({ path, readsKey: /listKeys\(/.test(file(path).code) }).toEqual({ path, readsKey: false });
    }
  });

  test("a provisioning carries the current callback URL over, read from the app's settings once the code runs", () => {
    expect(appSetting('RECORDING_STATE_CALLBACK_URL')).toBe('recordingStateCallbackUrl');
    expect(paramDefault(functionApp, 'recordingStateCallbackUrl')).toBe("''");
    expect(moduleParam('app', 'recordingStateCallbackUrl')).toBe('currentRecordingStateCallbackUrl');
    const carried = (main.vars.get('currentRecordingStateCallbackUrl') ?? '').replace(/\s+/g, ' ');
    // Only once the code is deployed (the app, and so its settings, exist), else empty until postdeploy sets it.
    expect(carried).toMatch(/^codeDeployed \?/);
    expect(carried).toMatch(/: ''$/);
    expect(carried).toMatch(
      /list\('\$\{functionAppId\}\/config\/appsettings', '[\d-]+'\)\.properties\.\?RECORDING_STATE_CALLBACK_URL/,
    );
    // The settings read are the deployed app's: the same name the app module gets.
    expect(main.vars.get('functionAppId')).toMatch(/resourceId\(.*rgName, 'Microsoft\.Web\/sites', functionAppName\)/);
    expect(moduleParam('app', 'name')).toBe('functionAppName');
    expect(paramDefault(main, 'codeDeployed')).toBe('false');
    expect(parameters.parameters.codeDeployed?.value).toBe('${ARCHIVER_CODE_DEPLOYED=false}');
  });

  test('never the host default, master or system keys; no key passes through a script', () => {
    for (const [path, text] of rawText) {
      expect({ path, hostKey: /\/host\/default|functionKeys|masterKey|systemKeys/.test(text) }).toEqual({
        path,
        hostKey: false,
      });
    }
    for (const script of HOOK_SCRIPTS) {
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

  test('the post-deploy callback URL merges into the current settings instead of replacing them, through @secure params', () => {
    const callback = file('callback-url.bicep');
    const settings = callback.modules.find((m) => m.symbol === 'settings')!;
    expect(settings.path).toBe('app/merge-app-settings.bicep');
    expect(propertyValue(propertyValue(settings.body, 'params')!, 'currentSettings')).toMatch(
      /^list\('\$\{functionApp\.id\}\/config\/appsettings', '[\d-]+'\)\.properties$/,
    );
    const merge = file('app/merge-app-settings.bicep');
    const config = merge.resources.find((r) => r.type === 'Microsoft.Web/sites/config')!;
    expect(propertyValue(config.body, 'properties')).toBe('union(currentSettings, newSettings)');
    for (const name of ['currentSettings', 'newSettings'])
      expect(merge.params.find((p) => p.name === name)?.decorators).toContain('secure');
  });
});

describe('WORM, the control container and re-provisioning', () => {
  const container = (symbol: string) => archiveStorage.resources.find((r) => r.symbol === symbol)!;
  const declarationHead = (symbol: string) =>
    archiveStorage.declarations.find((d) => d.name === symbol)!.text.split('\n')[0]!;

  test('WORM is a separate container, immutable from its creation; the plain one never gets a policy', () => {
    expect(propertiesOf(container('archiveContainer').body)).not.toMatch(/immutab/i);
    const worm = container('immutableArchiveContainer');
    expect(declarationHead('immutableArchiveContainer')).toMatch(/= if \(enableImmutability\) \{$/);
    expect(propertyValue(propertyValue(propertiesOf(worm.body), 'immutableStorageWithVersioning')!, 'enabled')).toBe(
      'true',
    );
    expect(propertyValue(worm.body, 'name')).toBe('immutableArchiveContainerName');
    // The scripts compute the WORM container's name with the same rule.
    expect(paramDefault(archiveStorage, 'immutableArchiveContainerName')).toBe("'${archiveContainerName}-worm'");
    for (const script of ['preprovision.sh', 'preprovision.ps1'])
      expect(readInfra(`scripts/${script}`)).toMatch(/-worm/);
    // The app archives into the WORM container when WORM is on.
    expect(archiveStorage.outputs.find((o) => o.name === 'archiveContainerName')?.value).toBe(
      'enableImmutability ? immutableArchiveContainerName : archiveContainer.name',
    );
    expect(paramDefault(archiveStorage, 'enableImmutability')).toBe('false');
  });

  test('the immutability policy is deployed only while it is not locked (a locked policy refuses updates)', () => {
    const policy = archiveStorage.resources.find(
      (r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies',
    )!;
    expect(declarationHead(policy.symbol)).toMatch(/= if \(enableImmutability && applyImmutabilityPolicy\) \{$/);
    expect(propertyValue(policy.body, 'parent')).toBe('immutableArchiveContainer');
    // Unlocked by the template: allowProtectedAppendWrites off, the period from the parameter.
    expect(propertyValue(propertiesOf(policy.body), 'immutabilityPeriodSinceCreationInDays')).toBe(
      'immutabilityPeriodDays',
    );
    expect(propertyValue(propertiesOf(policy.body), 'allowProtectedAppendWrites')).toBe('false');
    expect(moduleParam('archive', 'applyImmutabilityPolicy')).toBe('applyImmutabilityPolicy');
    expect(moduleParam('archive', 'enableImmutability')).toBe('enableImmutability');
    expect(parameters.parameters.applyImmutabilityPolicy?.value).toBe('${ARCHIVE_IMMUTABILITY_POLICY_APPLY=true}');
    for (const script of ['preprovision.sh', 'preprovision.ps1']) {
      const text = readInfra(`scripts/${script}`);
      expect(text).toMatch(/ARCHIVE_IMMUTABILITY_POLICY_APPLY/);
      expect(text).toMatch(/Locked/);
    }
  });

  test('the control container is outside any immutability policy, with its own role for the app', () => {
    expect(propertiesOf(container('controlContainer').body)).not.toMatch(/immutab/i);
    const assignment = file('app/rbac.bicep').resources.find((r) => r.symbol === 'appControlContainer')!;
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

describe('resources: identities, TLS, network, keys', () => {
  test('the function app runs Node 22 on Flex Consumption as the user-assigned identity, HTTPS only, TLS 1.2', () => {
    const plan = resourcesOfType('Microsoft.Web/serverfarms')[0]!;
    expect(propertyValue(plan.body, 'sku')).toMatch(/tier:\s*'FlexConsumption'[\s\S]*name:\s*'FC1'/);
    expect(propertyValue(propertiesOf(plan.body), 'reserved')).toBe('true');
    const site = resourcesOfType('Microsoft.Web/sites', { existing: false })[0]!;
    expect(propertyValue(site.body, 'kind')).toBe("'functionapp,linux'");
    expect(propertyValue(propertyValue(site.body, 'identity')!, 'type')).toBe("'UserAssigned'");
    const properties = propertiesOf(site.body);
    expect(propertyValue(properties, 'httpsOnly')).toBe('true');
    expect(propertyValue(propertyValue(properties, 'siteConfig')!, 'minTlsVersion')).toBe("'1.2'");
    const config = propertyValue(properties, 'functionAppConfig')!;
    const runtime = propertyValue(config, 'runtime')!;
    expect([propertyValue(runtime, 'name'), propertyValue(runtime, 'version')]).toEqual(["'node'", "'22'"]);
    // The deployment package is read with the identity, not a key.
    const storage = propertyValue(propertyValue(config, 'deployment')!, 'storage')!;
    expect(propertyValue(storage, 'type')).toBe("'blobContainer'");
    expect(propertyValue(propertyValue(storage, 'authentication')!, 'type')).toBe("'UserAssignedIdentity'");
  });

  test('archiveChunk scales on its own up to the maximum the deployment passes', () => {
    const scale = propertyValue(
      propertyValue(
        propertiesOf(resourcesOfType('Microsoft.Web/sites', { existing: false })[0]!.body),
        'functionAppConfig',
      )!,
      'scaleAndConcurrency',
    )!;
    expect(propertyValue(scale, 'maximumInstanceCount')).toBe('maximumInstanceCount');
    expect(propertyValue(scale, 'alwaysReady')).toMatch(/name:\s*'function:archiveChunk'/);
    expect(moduleParam('app', 'maximumInstanceCount')).toBe('maximumInstanceCount');
  });

  test('every storage account refuses keys, public blobs, plain HTTP, old TLS and cross-tenant replication', () => {
    const accounts = resourcesOfType('Microsoft.Storage/storageAccounts', { existing: false });
    expect(accounts.length).toBe(2);
    for (const account of accounts) {
      const properties = propertiesOf(account.body);
      const settings = Object.fromEntries(
        [
          'allowSharedKeyAccess',
          'defaultToOAuthAuthentication',
          'minimumTlsVersion',
          'allowBlobPublicAccess',
          'supportsHttpsTrafficOnly',
          'allowCrossTenantReplication',
        ].map((name) => [name, propertyValue(properties, name)]),
      );
      expect({ file: account.file, ...settings }).toEqual({
        file: account.file,
        allowSharedKeyAccess: 'false',
        defaultToOAuthAuthentication: 'true',
        minimumTlsVersion: "'TLS1_2'",
        allowBlobPublicAccess: 'false',
        supportsHttpsTrafficOnly: 'true',
        allowCrossTenantReplication: 'false',
      });
      // Trusted Azure services keep their way in whatever the firewall: the topic's identity writes dead letters.
      expect(propertyValue(propertyValue(properties, 'networkAcls') ?? '{}', 'bypass')).toMatch(/AzureServices/);
    }
    for (const c of resourcesOfType('Microsoft.Storage/storageAccounts/blobServices/containers', { existing: false })) {
      expect({
        file: c.file,
        container: c.symbol,
        publicAccess: propertyValue(propertiesOf(c.body), 'publicAccess'),
      }).toEqual({ file: c.file, container: c.symbol, publicAccess: "'None'" });
    }
  });

  test('Log Analytics and Application Insights accept no keys (telemetry with the identity only)', () => {
    const workspace = resourcesOfType('Microsoft.OperationalInsights/workspaces', { existing: false })[0]!;
    expect(propertyValue(propertyValue(propertiesOf(workspace.body), 'features')!, 'disableLocalAuth')).toBe('true');
    const component = resourcesOfType('Microsoft.Insights/components', { existing: false })[0]!;
    expect(propertyValue(propertiesOf(component.body), 'DisableLocalAuth')).toBe('true');
  });

  test('the archive has versioning, soft delete, its containers and a lifecycle that spares manifests the offline tier', () => {
    const blobService = archiveStorage.resources.find(
      (r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices',
    )!;
    const properties = propertiesOf(blobService.body);
    expect(propertyValue(properties, 'isVersioningEnabled')).toBe('true');
    expect(propertyValue(propertyValue(properties, 'deleteRetentionPolicy')!, 'enabled')).toBe('true');
    expect(propertyValue(propertyValue(properties, 'containerDeleteRetentionPolicy')!, 'enabled')).toBe('true');
    const containerNames = archiveStorage.resources
      .filter((r) => r.type === 'Microsoft.Storage/storageAccounts/blobServices/containers')
      .map((r) => propertyValue(r.body, 'name'));
    expect(containerNames.sort()).toEqual(
      [
        'archiveContainerName',
        'immutableArchiveContainerName',
        'controlContainerName',
        'deadLetterContainerName',
        'auditContainerName',
      ].sort(),
    );
    // The CLI's `redrive` reads this container by default.
    expect(main.vars.get('deadLetterContainerName')).toBe("'eventgrid-deadletter'");
    // The offline tier (reads fail until rehydrated) only for blobs tagged archiveTier=allowed, never a manifest.
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
    expect(moduleParam('communication', 'disableLocalAuth')).toBe('acsDisableLocalAuth');
    expect(paramDefault(main, 'acsDisableLocalAuth')).toBe('true');
  });

  test('the system topic is global, on ACS, with its own identity', () => {
    const topics = resourcesOfType('Microsoft.EventGrid/systemTopics', { existing: false });
    expect(topics.length).toBe(1);
    const topic = topics[0]!;
    expect(propertyValue(topic.body, 'location')).toBe("'global'");
    expect(propertyValue(propertyValue(topic.body, 'identity')!, 'type')).toBe("'SystemAssigned'");
    expect(propertyValue(propertiesOf(topic.body), 'topicType')).toBe(
      "'Microsoft.Communication.CommunicationServices'",
    );
    // An existing topic's identity is the one that gets the dead-letter role (preprovision checks it has one).
    expect(moduleParam('rbac', 'topicPrincipalId')).toBe(
      'createSystemTopic ? systemTopic.outputs.principalId : existingSystemTopic.identity.principalId',
    );
  });
});

describe('event subscriptions', () => {
  const eventSubscriptions = subscriptions.resources.filter(
    (r) => r.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
  );
  const subscription = (symbol: string) => {
    const s = eventSubscriptions.find((x) => x.symbol === symbol)!;
    const properties = propertiesOf(s.body);
    const destination = propertyValue(properties, 'destination')!;
    return {
      name: propertyValue(s.body, 'name')!,
      parent: propertyValue(s.body, 'parent'),
      endpointType: propertyValue(destination, 'endpointType'),
      endpoint:
        propertyValue(propertyValue(destination, 'properties')!, 'resourceId') ??
        propertyValue(propertyValue(destination, 'properties')!, 'endpointUrl'),
      maxEventsPerBatch: propertyValue(propertyValue(destination, 'properties')!, 'maxEventsPerBatch'),
      eventTypes: [
        ...(propertyValue(propertyValue(properties, 'filter')!, 'includedEventTypes') ?? '').matchAll(/'([^']+)'/g),
      ].map((m) => m[1]),
      schema: propertyValue(properties, 'eventDeliverySchema'),
      ttl: propertyValue(propertyValue(properties, 'retryPolicy')!, 'eventTimeToLiveInMinutes'),
      deadLetter: propertyValue(properties, 'deadLetterWithResourceIdentity'),
    };
  };

  test('recording files go to archiveRecording, call started/ended to callEvents, one event per delivery', () => {
    expect(eventSubscriptions.map((s) => s.symbol).sort()).toEqual(['archiveSubscription', 'callEventsSubscription']);
    const archive = subscription('archiveSubscription');
    expect(archive).toMatchObject({
      parent: 'systemTopic',
      endpointType: "'AzureFunction'",
      endpoint: "'${functionApp.id}/functions/archiveRecording'",
      maxEventsPerBatch: '1',
      eventTypes: ['Microsoft.Communication.RecordingFileStatusUpdated'],
      schema: "'EventGridSchema'",
    });
    const calls = subscription('callEventsSubscription');
    expect(calls).toMatchObject({
      parent: 'systemTopic',
      endpointType: "'WebHook'",
      maxEventsPerBatch: '1',
      eventTypes: ['Microsoft.Communication.CallStarted', 'Microsoft.Communication.CallEnded'],
      schema: "'EventGridSchema'",
    });
    expect(calls.endpoint).toMatch(/\/api\/call-events\?code=/);
  });

  test('both dead-letter into the dead-letter container with the topic identity, and live as long as the source files', () => {
    const deadLetter = subscriptions.vars.get('deadLetter')!;
    expect(propertyValue(propertyValue(deadLetter, 'identity')!, 'type')).toBe("'SystemAssigned'");
    const destination = propertyValue(deadLetter, 'deadLetterDestination')!;
    expect(propertyValue(destination, 'endpointType')).toBe("'StorageBlob'");
    expect(propertyValue(propertyValue(destination, 'properties')!, 'blobContainerName')).toBe(
      'deadLetterContainerName',
    );
    for (const symbol of ['archiveSubscription', 'callEventsSubscription']) {
      const s = subscription(symbol);
      expect({ symbol, deadLetter: s.deadLetter, ttl: s.ttl }).toEqual({
        symbol,
        deadLetter: 'deadLetter',
        ttl: '1440',
      });
    }
    // The post-deploy step passes the archive account's dead-letter container (where the topic's role is).
    expect(moduleParam('rbac', 'deadLetterContainerName')).toBe('archive.outputs.deadLetterContainerName');
  });

  test('subscription names carry the environment, so two environments on one topic never overwrite each other', () => {
    for (const symbol of ['archiveSubscription', 'callEventsSubscription']) {
      const nameVar = subscription(symbol).name;
      expect(subscriptions.vars.get(nameVar)).toMatch(/\$\{environmentSuffix\}/);
    }
    expect(subscriptions.vars.get('environmentSuffix')).toMatch(/environmentName/);
    expect(subscriptions.params.find((p) => p.name === 'environmentName')?.hasDefault).toBe(false);
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
  // Bring your own storage (byos.bicep): ACS writes its recordings with its own identity; the app only reads them.
  acsWrites: { principal: 'acsPrincipalId', role: 'Storage Blob Data Contributor', scopeType: CONTAINER },
  // The archive console's access records, create-only by use; the role cannot delete.
  appAuditContainer: { principal: APP, role: 'custom:archiveWriterRoleDefinitionId', scopeType: CONTAINER },
  appReads: { principal: APP, role: 'Storage Blob Data Reader', scopeType: CONTAINER },
  // The archive console's user-delegation SAS: a delegation key is asked of the account, never of a container.
  appArchiveDelegator: { principal: APP, role: 'Storage Blob Delegator', scopeType: ACCOUNT },
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

describe('bring your own storage', () => {
  test('is off unless byosContainerName is set; then ACS writes the container and the app is told where it is', () => {
    expect(paramDefault(main, 'byosContainerName')).toBe("''");
    expect(main.code).toMatch(/module byos 'app\/byos\.bicep' = if \(!empty\(byosContainerName\)\)/);
    // The ACS identity is the one that writes: a new resource gets one exactly when BYOS is on.
    expect(moduleParam('communication', 'systemAssignedIdentity')).toBe('!empty(byosContainerName)');
    expect(moduleParam('byos', 'acsPrincipalId')).toMatch(/communication\.outputs\.principalId/);
    expect(moduleParam('app', 'recordingExternalStorageUrl')).toBe(
      "empty(byosContainerName) ? '' : '${archive.outputs.blobEndpoint}${byosContainerName}'",
    );
    expect(functionApp.vars.get('byosSettings')).toMatch(/RECORDING_EXTERNAL_STORAGE_URL: recordingExternalStorageUrl/);
  });
});

describe('roles', () => {
  const definitions = customRoles.resources.filter((r) => r.type === 'Microsoft.Authorization/roleDefinitions');

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
    expect(definitions.map((d) => d.symbol).sort()).toEqual(['archiveWriter', 'queueWorker']);
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
    for (const d of definitions)
      expect(propertyValue(propertiesOf(d.body), 'assignableScopes')).toMatch(/^\[\s*resourceGroup\(\)\.id\s*\]$/);
    expect(moduleParam('rbac', 'archiveWriterRoleDefinitionId')).toBe(
      'customRoles.outputs.archiveWriterRoleDefinitionId',
    );
    expect(moduleParam('rbac', 'queueWorkerRoleDefinitionId')).toBe('customRoles.outputs.queueWorkerRoleDefinitionId');
  });

  test('custom role names are unique per subscription (tenant-wide names), their ids stable for a subscription and group', () => {
    const render = (subscriptionId: string, resourceGroupName = 'rg-dev', environmentName = 'dev') => {
      const context = {
        values: { environmentName },
        vars: customRoles.vars,
        subscriptionId,
        resourceGroupName,
      };
      return definitions.map((d) => ({
        roleName: evaluate(propertyValue(propertiesOf(d.body), 'roleName')!, context),
        name: evaluate(propertyValue(d.body, 'name')!, context),
      }));
    };
    const first = render('11111111-1111-1111-1111-111111111111');
    const second = render('22222222-2222-2222-2222-222222222222');
    // `dev` in a second subscription of the same tenant: other role names (no RoleDefinitionWithSameNameExists)...
    for (const [i, role] of first.entries()) {
      expect(role.roleName).not.toBe(second[i]!.roleName);
      expect(role.name).not.toBe(second[i]!.name);
    }
    // ...and no two names alike anywhere: two roles, two groups, two environments.
    const names = [
      ...first,
      ...second,
      ...render('11111111-1111-1111-1111-111111111111', 'rg-prod', 'prod'),
      ...render('11111111-1111-1111-1111-111111111111', 'rg-other', 'dev'),
    ].map((r) => r.roleName);
    expect(new Set(names).size).toBe(names.length);
    // Deterministic: provisioning again updates the same definitions in place, under the same names.
    expect(render('11111111-1111-1111-1111-111111111111')).toEqual(first);
    // Readable: the subscription id itself, the environment and the group.
    expect(first[0]!.roleName).toMatch(/dev.*rg-dev.*11111111-1111-1111-1111-111111111111/);
    // The role assignments name the definitions by these ids.
    for (const output of customRoles.outputs)
      expect(output.value).toMatch(
        /^subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', \w+\.name\)$/,
      );
  });

  test('the assignments depend on the role definitions explicitly, and start only after the function app module', () => {
    const rbacModule = main.modules.find((m) => m.symbol === 'rbac')!;
    const dependsOn = [...(propertyValue(rbacModule.body, 'dependsOn') ?? '').matchAll(/\w+/g)].map((m) => m[0]);
    expect(dependsOn).toEqual(expect.arrayContaining(['customRoles', 'app']));
    // customRoles depends on nothing, so the definitions are created first.
    const customRolesModule = main.modules.find((m) => m.symbol === 'customRoles')!;
    expect(customRolesModule.body).not.toMatch(/\b\w+\.outputs\.|dependsOn/);
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
    for (const script of HOOK_SCRIPTS) {
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

  test('azure.yaml: the service is the tagged function app, deployed from the staged package as built; every hook exists', () => {
    const azureYaml = readRoot('azure.yaml');
    expect(azureYaml).toMatch(/^\s{4}host: function$/m);
    const service = /^services:\n\s{2}(\w+):/m.exec(azureYaml)?.[1];
    expect(service).toBe('api');
    expect(functionApp.code).toMatch(new RegExp(`'azd-service-name': '${service}'`));
    // azd zips the folder the packager stages by default, as it is (no build on the server).
    const stageDir = /stageDir: path\.join\(root, ((?:'[^']+'(?:, )?)+)\)/.exec(
      readRoot('dev/package/package.ts'),
    )?.[1];
    const staged = [...(stageDir ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]).join('/');
    expect(azureYaml).toMatch(new RegExp(`^\\s{4}dist: ${staged.replace(/\./g, '\\.')}$`, 'm'));
    expect(azureYaml).toMatch(/^\s{4}remoteBuild: false$/m);
    // The prepackage hook runs, in both shells, the packager `npm run package` runs, staging only.
    const packageScript = (JSON.parse(readRoot('package.json')) as { scripts: Record<string, string> }).scripts
      .package!;
    const packager = /node (\S+\.js)/.exec(packageScript)?.[1];
    expect(packager).toBeDefined();
    const hook = azureYaml.slice(azureYaml.indexOf('prepackage:'), azureYaml.indexOf('\nhooks:'));
    expect(hook.split(`node ${packager} --stage-only`).length - 1).toBe(2);
    const buildSteps = packageScript
      .split('&&')
      .map((s) => s.trim())
      .filter((s) => !s.startsWith('node '));
    for (const step of buildSteps) expect(hook.split(step).length - 1).toBeGreaterThanOrEqual(2);
    // Every hook script exists, in both shells.
    const scripts = [...azureYaml.matchAll(/run:\s*(\.\/\S+)/g)].map((m) => m[1] ?? '');
    expect(scripts.sort()).toEqual(
      [
        './infra/scripts/preprovision.sh',
        './infra/scripts/preprovision.ps1',
        './infra/scripts/postdeploy.sh',
        './infra/scripts/postdeploy.ps1',
      ].sort(),
    );
    for (const script of scripts) expect(existsSync(join(ROOT, script))).toBe(true);
    expect(azureYaml).toMatch(/^requiredVersions:\n\s+azd: ['"]>= \d+\.\d+\.\d+['"]$/m);
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
});

describe('fail closed: the audit trail, the chunks, the network, publishing (issue 21)', () => {
  const resource = (f: ReturnType<typeof file>, symbol: string) => f.resources.find((r) => r.symbol === symbol)!;
  const head = (f: ReturnType<typeof file>, symbol: string) =>
    f.declarations.find((d) => d.name === symbol)!.text.split('\n')[0]!;

  test('audit records have a container of their own, WORM from its creation, with a policy deployed until locked', () => {
    const audit = resource(archiveStorage, 'auditContainer');
    expect(propertyValue(audit.body, 'name')).toBe('auditContainerName');
    expect(head(archiveStorage, 'auditContainer')).toMatch(/= \{$/); // always, whatever enableImmutability says
    expect(propertyValue(propertyValue(propertiesOf(audit.body), 'immutableStorageWithVersioning')!, 'enabled')).toBe(
      'true',
    );
    const policy = resource(archiveStorage, 'auditRetention');
    expect(policy.type).toBe('Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies');
    expect(propertyValue(policy.body, 'parent')).toBe('auditContainer');
    expect(head(archiveStorage, 'auditRetention')).toMatch(/= if \(applyAuditImmutabilityPolicy\) \{$/);
    expect(propertyValue(propertiesOf(policy.body), 'immutabilityPeriodSinceCreationInDays')).toBe(
      'auditImmutabilityDays',
    );
    expect(moduleParam('archive', 'applyAuditImmutabilityPolicy')).toBe('applyAuditImmutabilityPolicy');
    expect(parameters.parameters.applyAuditImmutabilityPolicy?.value).toBe('${AUDIT_IMMUTABILITY_POLICY_APPLY=true}');
    for (const script of ['preprovision.sh', 'preprovision.ps1'])
      expect(readInfra(`scripts/${script}`)).toMatch(/AUDIT_IMMUTABILITY_POLICY_APPLY/);
    // The code's default, the template's name and the output the CLI reads agree.
    expect(/readContainer\(env, 'AUDIT_CONTAINER', '([a-z0-9-]+)'\)/.exec(configSource)?.[1]).toBe('recording-audit');
    expect(main.vars.get('auditContainerName')).toBe("'recording-audit'");
    expect(moduleParam('archive', 'auditContainerName')).toBe('auditContainerName');
    expect(main.outputs.find((o) => o.name === 'AUDIT_CONTAINER')?.value).toBe('archive.outputs.auditContainerName');
  });

  test("on the audit container the app may write (the console's access records) but never delete", () => {
    const rbac = file('app/rbac.bicep');
    const onAudit = roleAssignments().filter((a) => a.symbol === 'appAuditContainer');
    expect(onAudit).toEqual([
      expect.objectContaining({ principal: APP, role: 'custom:archiveWriterRoleDefinitionId', scopeType: CONTAINER }),
    ]);
    expect(moduleParam('rbac', 'auditContainerName')).toBe('archive.outputs.auditContainerName');
    expect(rbac.params.map((p) => p.name)).toContain('auditContainerName');
    // The archive writer role has no delete, tag or immutability action (checked with custom-roles.bicep below).
    expect(customRoles.code).not.toMatch(/blobs\/delete/);
    // Every other app assignment is on a named container, queue, account or component: none on the account's blobs.
    for (const a of roleAssignments().filter((x) => x.principal === APP))
      // Storage Blob Delegator grants no data action: only the delegation key the console's read-only SAS needs.
      expect({
        symbol: a.symbol,
        accountWide:
          a.scopeType === ACCOUNT && !a.symbol.startsWith('appRuntime') && a.role !== 'Storage Blob Delegator',
      }).toEqual({
        symbol: a.symbol,
        accountWide: false,
      });
    expect(EXPECTED_ASSIGNMENTS.operatorArchiveBlob).toMatchObject({ principal: OPERATOR, scopeType: ACCOUNT });
  });

  test('version expiry never touches an archive or the audit container: only the control container, and callback tokens after a day', () => {
    const versionRules = archiveStorage.vars.get('versionRules') ?? '';
    const prefixes = [...(/prefixMatch:\s*(\[[^\]]*\])/.exec(versionRules)?.[1] ?? '').matchAll(/'([^']+)'/g)].map(
      (m) => m[1],
    );
    expect(prefixes).toEqual(['${controlContainerName}/']);
    expect(versionRules).not.toMatch(/archivePrefixes|auditContainerName/);
    // No rule deletes anything of an archive container, base blob or version.
    for (const [name, value] of archiveStorage.vars) {
      if (/delete:/.test(value))
        expect({ var: name, archives: /archivePrefixes|archiveContainerName|auditContainerName/.test(value) }).toEqual({
          var: name,
          archives: false,
        });
    }
    const tokens = archiveStorage.vars.get('callbackTokenRules') ?? '';
    expect(tokens).toMatch(/prefixMatch:\s*\['\$\{controlContainerName\}\/callback-tokens\/'\]/);
    expect(tokens).toMatch(/baseBlob:\s*\{\s*delete:\s*\{\s*daysAfterModificationGreaterThan:\s*1\s*\}/);
    expect(tokens).toMatch(/version:\s*\{\s*delete:\s*\{\s*daysAfterCreationGreaterThan:\s*1\s*\}/);
    expect(archiveStorage.vars.get('lifecycleRules')).toMatch(/callbackTokenRules/);
  });

  test('azd asks for WORM on a new environment: the parameter has no default and its mapped value none either', () => {
    const param = main.params.find((p) => p.name === 'enableImmutability')!;
    expect(param.hasDefault).toBe(false);
    expect(param.type).toBe('bool');
    // `${NAME}` without `=default`: unset, azd prompts (Azure/azure-dev#2895); `${NAME=false}` would silently be false.
    expect(parameters.parameters.enableImmutability?.value).toBe('${ARCHIVE_IMMUTABILITY_ENABLED}');
  });

  test('FTP and SCM publishing with basic credentials are off on the function app', () => {
    const policies = functionApp.resources.filter(
      (r) => r.type === 'Microsoft.Web/sites/basicPublishingCredentialsPolicies',
    );
    expect(policies.map((p) => propertyValue(p.body, 'name')).sort()).toEqual(["'ftp'", "'scm'"]);
    for (const p of policies) {
      expect(propertyValue(p.body, 'parent')).toBe('functionApp');
      expect(propertyValue(propertiesOf(p.body), 'allow')).toBe('false');
    }
  });

  test('storage can refuse public traffic: off by default, Deny with trusted services and listed IPs, private endpoints for the app', () => {
    const param = main.params.find((p) => p.name === 'storagePublicNetworkAccess')!;
    expect(param.defaultValue).toBe("'Enabled'");
    expect(main.vars.get('restrictStorageNetwork')).toBe("storagePublicNetworkAccess == 'Restricted'");
    for (const account of resourcesOfType('Microsoft.Storage/storageAccounts', { existing: false })) {
      const acls = propertyValue(propertiesOf(account.body), 'networkAcls')!;
      expect({ file: account.file, defaultAction: propertyValue(acls, 'defaultAction') }).toEqual({
        file: account.file,
        defaultAction: "restrictPublicNetworkAccess ? 'Deny' : 'Allow'",
      });
      expect(propertyValue(acls, 'ipRules')).toMatch(/^restrictPublicNetworkAccess \? map\(allowedIpRanges,/);
    }
    for (const symbol of ['network', 'storageEndpoints'])
      expect(main.declarations.find((d) => d.name === symbol)!.text.split('\n')[0]).toMatch(
        /= if \(restrictStorageNetwork\) \{$/,
      );
    expect(moduleParam('app', 'virtualNetworkSubnetId')).toBe(
      "restrictStorageNetwork ? network.outputs.appSubnetId : ''",
    );
    for (const [module, param] of [
      ['app', 'restrictPublicNetworkAccess'],
      ['archive', 'restrictPublicNetworkAccess'],
    ] as const)
      expect(moduleParam(module, param)).toBe('restrictStorageNetwork');
    // Flex Consumption joins a subnet delegated to Microsoft.App/environments.
    expect(file('app/network.bicep').code).toMatch(/serviceName: 'Microsoft\.App\/environments'/);
    const endpoints = file('app/private-endpoints.bicep').vars.get('endpoints') ?? '';
    expect([...endpoints.matchAll(/groupId: '(\w+)'/g)].map((m) => m[1])).toEqual(['blob', 'queue', 'table', 'blob']);
  });

  test('no role anywhere uses a Microsoft.Communication data action that is not published; ACS keeps its built-in role', () => {
    for (const f of allFiles) {
      for (const action of f.code.match(/Microsoft\.Communication\/[\w/]+/g) ?? []) {
        if (/\/communicationServices$/i.test(action)) continue; // the resource type itself
        expect({ file: f.path, action, published: action in MICROSOFT_COMMUNICATION_DATA_ACTIONS }).toEqual({
          file: f.path,
          action,
          published: true,
        });
      }
    }
    expect(EXPECTED_ASSIGNMENTS.appControlsRecordings?.role).toBe('Communication and Email Service Owner');
  });
});
