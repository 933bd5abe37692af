import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INFRA } from '../../helpers/infra/templates';

/**
 * Runs the POSIX hook scripts for real (with /bin/sh) against stand-ins for `az`, `azd`, `curl`, `sleep` and `date`
 * placed first on PATH. Each stand-in records how it was called and answers from a script of outcomes, so the tests
 * see what the hooks really do: the order of the steps, the subscription every Azure CLI call names, the deployment
 * names and parameters, the backoff between retries and when they give up, what a failing Azure CLI does to them, and
 * what they set in the azd environment. The .ps1 twins are read as text (PowerShell is not installed here): every
 * `az` call they make is checked for --subscription like the .sh ones.
 */

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every call to a stand-in, in order: "az deployment group create --name ...". */
  calls: string[];
}

/**
 * Outcomes per stand-in key; the last one repeats. For keys that answer with output (group-exists, functionapp-list,
 * function-list, account-list, container-state, audit-state, topic-identity, get-<NAME>, config-<PATH>) a value is
 * printed, `!N` fails with exit
 * code N and an error on stderr. For the others (account-show, function-show, deploy-*, azd-provision, azd) a value
 * is an exit code. curl's are HTTP status codes.
 */
type Script = Record<string, string[]>;

const STUB = `#!/bin/sh
# Records the call, then answers with the next scripted outcome for its key (the last one repeats).
name="$(basename "$0")"
printf '%s\\n' "$name $*" >> "$STUB_DIR/calls.log"
next() {
  f="$STUB_DIR/$1.outcomes"
  if [ ! -f "$f" ]; then echo "$2"; return; fi
  head -n 1 "$f"
  if [ "$(wc -l < "$f")" -gt 1 ]; then tail -n +2 "$f" > "$f.rest" && mv "$f.rest" "$f"; fi
}
peek() {
  f="$STUB_DIR/$1.outcomes"
  if [ ! -f "$f" ]; then echo "$2"; else head -n 1 "$f"; fi
}
fail() { echo "ERROR: (stand-in) $name $1 failed" >&2; exit "$2"; }
# answer KEY DEFAULT: prints the next outcome, or fails for "!N".
answer() {
  value="$(next "$1" "$2")"
  case "$value" in !*) fail "$1" "\${value#!}" ;; esac
  if [ -n "$value" ]; then printf '%s\\n' "$value"; fi
  exit 0
}
# code KEY: exits with the next outcome.
code() {
  c="$(next "$1" 0)"
  if [ "$c" != 0 ]; then fail "$1" "$c"; fi
  exit 0
}
case "$name" in
  sleep) exit 0 ;;
  date)
    now="$(cat "$STUB_DIR/clock" 2>/dev/null || echo 1000000)"
    echo $((now + \${STUB_DATE_STEP:-1})) > "$STUB_DIR/clock"
    echo "$now"
    exit 0 ;;
  curl) printf '%s' "$(next curl 200)"; exit 0 ;;
  azd)
    case "$*" in
      "env get-value "*) answer "get-$3" "" ;;
      "env config get "*) answer "config-$4" "" ;;
      "provision"*) code azd-provision ;;
      *) code azd ;;
    esac ;;
  az)
    case "$*" in
      "account show"*) code account-show ;;
      "group exists"*) answer group-exists true ;;
      "functionapp list"*) answer functionapp-list func-abc123 ;;
      "functionapp function list"*) answer function-list func-abc123/recordingState ;;
      "functionapp function show"*) code function-show ;;
      "deployment group create"*"callback-url.bicep"*) code deploy-callback ;;
      "deployment group create"*"subscriptions.bicep"*) code deploy-subscriptions ;;
      "storage account list"*) answer account-list starcabc123 ;;
      "storage container-rm list"*"recording-audit"*)
        state="$(peek audit-state absent)"
        case "$state" in
          absent) exit 0 ;;
          !*) answer audit-state absent ;;
          *) echo recording-audit; exit 0 ;;
        esac ;;
      "storage container-rm show"*"--name recording-audit"*) answer audit-state absent ;;
      "storage container-rm list"*)
        state="$(peek container-state absent)"
        case "$state" in
          absent) exit 0 ;;
          !*) answer container-state absent ;;
          *) echo recordings-worm; exit 0 ;;
        esac ;;
      "storage container-rm show"*) answer container-state absent ;;
      "eventgrid system-topic show"*) answer topic-identity SystemAssigned ;;
      *) exit 0 ;;
    esac ;;
esac
`;

function run(
  script: string,
  env: Record<string, string>,
  outcomes: Script = {},
  dateStep = 1,
  args: string[] = [],
): Run {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cra-hooks-'));
  try {
    for (const name of ['az', 'azd', 'curl', 'sleep', 'date']) {
      writeFileSync(path.join(dir, name), STUB);
      chmodSync(path.join(dir, name), 0o755);
    }
    for (const [key, values] of Object.entries(outcomes))
      writeFileSync(path.join(dir, `${key}.outcomes`), `${values.join('\n')}\n`);
    writeFileSync(path.join(dir, 'calls.log'), '');
    const result = spawnSync('/bin/sh', [path.join(INFRA, 'scripts', script), ...args], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:/usr/bin:/bin`,
        STUB_DIR: dir,
        STUB_DATE_STEP: String(dateStep),
        ...env,
      },
    });
    const calls = readFileSync(path.join(dir, 'calls.log'), 'utf8').split('\n').filter(Boolean);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555';

/** What azd puts in the environment after `azd provision` (main.bicep outputs), for an environment "team-dev". */
const DEPLOYED = {
  AZURE_ENV_NAME: 'team-dev',
  AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
  AZURE_RESOURCE_GROUP: 'rg-team-dev',
  AZURE_FUNCTION_APP_NAME: 'func-abc123',
  SERVICE_API_URI: 'https://func-abc123.azurewebsites.net',
  ARCHIVE_STORAGE_ACCOUNT_NAME: 'starcabc123',
  ARCHIVE_PLAIN_CONTAINER: 'recordings',
  DEAD_LETTER_CONTAINER: 'eventgrid-deadletter',
  EVENT_GRID_SYSTEM_TOPIC_NAME: 'evgt-acs-abc123',
  EVENT_GRID_SYSTEM_TOPIC_RESOURCE_GROUP: 'rg-team-dev',
  ACS_ROLE_BY_POSTDEPLOY: 'false',
  ACS_NAME: 'acs-abc123',
  ACS_RESOURCE_GROUP: 'rg-team-dev',
  AZURE_FUNCTION_PRINCIPAL_ID: '00000000-0000-0000-0000-000000000001',
};

/** A brand-new environment: what azd has before the first provisioning. */
const FIRST = { AZURE_ENV_NAME: 'team-dev', AZURE_SUBSCRIPTION_ID: SUBSCRIPTION };

const sleeps = (calls: string[]) => calls.filter((c) => c.startsWith('sleep ')).map((c) => Number(c.slice(6)));
const azCalls = (calls: string[]) => calls.filter((c) => c.startsWith('az '));
const kinds = (calls: string[]) =>
  calls
    .filter((c) => !c.startsWith('sleep') && !c.startsWith('date'))
    .map((c) =>
      c.startsWith('curl')
        ? 'curl'
        : c.startsWith('az functionapp function show')
          ? 'function-show'
          : c.includes('callback-url.bicep')
            ? 'deploy-callback'
            : c.includes('subscriptions.bicep')
              ? 'deploy-subscriptions'
              : c,
    );

/** Every call of the Azure CLI names azd's subscription (the stand-in saw `--subscription <id>`). */
function expectEveryAzCallNamesTheSubscription(run: Run): void {
  const calls = azCalls(run.calls);
  expect(calls.length).toBeGreaterThan(0);
  for (const call of calls)
    expect({ call, named: call.includes(`--subscription ${SUBSCRIPTION}`) }).toEqual({ call, named: true });
}

/**
 * Every `az` invocation written in a script, as text: continued lines joined (`\` in sh, a backtick in PowerShell),
 * comment lines dropped; each from `az ` to the next `az ` on its line or the end of the line. `az login` (which
 * takes no subscription) is left out. Commands quoted in messages count too: a fix the operator copies must name
 * the subscription as well.
 */
function azInvocations(text: string, powershell: boolean): string[] {
  const continuation = powershell ? /`\r?\n/g : /\\\r?\n/g;
  const lines = text
    .replace(continuation, ' ')
    .split(/\r?\n/)
    .filter((line) => !/^\s*#/.test(line));
  return lines
    .flatMap((line) => {
      const starts = [...line.matchAll(/(?<![\w$-])az\s+(?=[a-z])/g)].map((m) => m.index);
      return starts.map((start, i) => line.slice(start, starts[i + 1] ?? line.length).trim());
    })
    .filter((call) => !/^az\s+login\b/.test(call));
}

const names = (call: string) => /--subscription\s+\S/.test(call);

describe('every az call of every hook script names the subscription (read as text: .sh and .ps1)', () => {
  test.each(['preprovision.sh', 'preprovision.ps1', 'postdeploy.sh', 'postdeploy.ps1'])('%s', (script) => {
    const calls = azInvocations(readFileSync(path.join(INFRA, 'scripts', script), 'utf8'), script.endsWith('.ps1'));
    expect(calls.length).toBeGreaterThanOrEqual(script.startsWith('pre') ? 7 : 4);
    for (const call of calls) expect({ script, call, named: names(call) }).toEqual({ script, call, named: true });
  });

  test('the reader finds calls continued over lines or inside $(...), skips comments and az login, and sees a missing flag', () => {
    const sh = [
      'x="$(az group exists \\',
      '  --name rg --subscription "$S")" || fail',
      'az account show --query id',
      '# az comment --no-subscription',
      'echo "sign in: az login --tenant T"',
    ].join('\n');
    expect(azInvocations(sh, false).map(names)).toEqual([true, false]);
    const ps1 = ['$a = az group exists `', '  --name $rg --subscription $sub', 'az account show --query id'].join('\n');
    expect(azInvocations(ps1, true).map(names)).toEqual([true, false]);
  });
});

describe('postdeploy.sh (run with stand-ins for az, azd and curl)', () => {
  test('warms the app, waits for the functions, sets the callback URL, warms again, then creates the subscriptions', () => {
    const result = run('postdeploy.sh', DEPLOYED, {
      // a cold app: no answer, then 503, then up
      curl: ['000', '503', '200'],
      // archiveRecording not indexed yet on the first check
      'function-show': ['1', '0'],
      // endpoint validation fails twice on a cold instance
      'deploy-subscriptions': ['1', '1', '0'],
    });
    expect(result.status).toBe(0);
    // Collapse repeats: the order of the steps.
    const steps = kinds(result.calls).filter((k, i, all) => k !== all[i - 1]);
    expect(steps).toEqual([
      `az account show --subscription ${SUBSCRIPTION} --query id --output tsv`,
      'curl',
      'function-show',
      'deploy-callback',
      'azd env set ARCHIVER_CODE_DEPLOYED true --environment team-dev',
      'curl',
      'deploy-subscriptions',
    ]);
    // Backoff: 5 s then 10 s for the warm-up, 5 s for the functions, 5 s then 10 s for the subscriptions.
    expect(sleeps(result.calls)).toEqual([5, 10, 5, 5, 10]);
    // Five functions checked once they are indexed (the first check failed on the first).
    expect(kinds(result.calls).filter((k) => k === 'function-show').length).toBe(1 + 5);
    expect(result.calls.filter((c) => c.startsWith('curl'))[0]).toContain('https://func-abc123.azurewebsites.net/');
  });

  test("every Azure CLI call names azd's subscription, never the CLI's default one", () => {
    const result = run('postdeploy.sh', DEPLOYED, { 'function-show': ['1', '0'] });
    expect(result.status).toBe(0);
    expectEveryAzCallNamesTheSubscription(result);
  });

  test('deploys each template under a per-environment name with exactly its parameters, and never reads a key', () => {
    const result = run('postdeploy.sh', DEPLOYED);
    expect(result.status).toBe(0);
    const callback = result.calls.find((c) => c.includes('callback-url.bicep'))!;
    expect(callback).toMatch(/--name cra-callback-url-team-dev --resource-group rg-team-dev /);
    expect(callback).toMatch(/--parameters functionAppName=func-abc123 --output none$/);
    const subscriptions = result.calls.find((c) => c.includes('subscriptions.bicep'))!;
    expect(subscriptions).toMatch(/--name cra-event-subscriptions-team-dev --resource-group rg-team-dev /);
    expect(subscriptions).toContain(
      '--parameters environmentName=team-dev systemTopicName=evgt-acs-abc123 functionAppName=func-abc123 ' +
        'functionAppResourceGroup=rg-team-dev deadLetterStorageAccountName=starcabc123 ' +
        'deadLetterStorageResourceGroup=rg-team-dev deadLetterContainerName=eventgrid-deadletter grantAcsAccess=false ' +
        'communicationServiceName=acs-abc123 communicationServiceResourceGroup=rg-team-dev ' +
        'appPrincipalId=00000000-0000-0000-0000-000000000001 --output none',
    );
    for (const call of result.calls) expect(call).not.toMatch(/keys|listkeys|secret/i);
  });

  test('an environment name with characters a deployment name refuses is made safe', () => {
    const result = run('postdeploy.sh', { ...DEPLOYED, AZURE_ENV_NAME: 'dev env/1' });
    expect(result.status).toBe(0);
    expect(result.calls.find((c) => c.includes('subscriptions.bicep'))).toMatch(
      /--name cra-event-subscriptions-dev-env-1 /,
    );
    expect(result.calls.find((c) => c.includes('subscriptions.bicep'))).toContain('environmentName=dev env/1');
  });

  test('retries the subscriptions with capped backoff for up to 15 minutes, then fails with the reason', () => {
    // The clock advances 30 s per reading; the subscription deployment never succeeds.
    const result = run('postdeploy.sh', DEPLOYED, { 'deploy-subscriptions': ['1'] }, 30);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /postdeploy: creating the Event Grid subscriptions: still failing after \d+ attempts \((9\d\d) s\)/,
    );
    const attempts = kinds(result.calls).filter((k) => k === 'deploy-subscriptions').length;
    // 900 s at 30 s per reading: at least the 10 attempts "several minutes" needs, not a runaway loop.
    expect(attempts).toBeGreaterThanOrEqual(10);
    expect(attempts).toBeLessThanOrEqual(31);
    const backoff = sleeps(result.calls);
    expect(backoff.slice(0, 6)).toEqual([5, 10, 20, 40, 60, 60]);
    expect(Math.max(...backoff)).toBe(60);
  });

  test("waiting for the functions gives up with the Azure CLI's last error, not silence", () => {
    const result = run('postdeploy.sh', DEPLOYED, { 'function-show': ['3'] }, 30);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/waiting for the functions to be indexed: still failing after \d+ attempts/);
    expect(result.stderr).toMatch(/last error:\s+ERROR: \(stand-in\) az function-show failed/);
    expect(result.calls.filter((c) => c.includes('deployment group create'))).toEqual([]);
  });

  test('refuses to run without the azd environment, naming what is missing', () => {
    const { AZURE_FUNCTION_APP_NAME: _omitted, ...incomplete } = DEPLOYED;
    const result = run('postdeploy.sh', incomplete);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/AZURE_FUNCTION_APP_NAME/);
    expect(result.calls.filter((c) => !c.startsWith('date'))).toEqual([]);
  });

  test('refuses to run without AZURE_SUBSCRIPTION_ID, before any call', () => {
    const { AZURE_SUBSCRIPTION_ID: _omitted, ...incomplete } = DEPLOYED;
    const result = run('postdeploy.sh', incomplete);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/AZURE_SUBSCRIPTION_ID is not set in the azd environment 'team-dev'/);
    expect(result.stderr).toMatch(/azd env set AZURE_SUBSCRIPTION_ID/);
    expect(result.calls.filter((c) => !c.startsWith('date'))).toEqual([]);
  });

  test('an Azure CLI that cannot use the subscription stops it at once with the reason, instead of waiting 10 minutes', () => {
    const result = run('postdeploy.sh', DEPLOYED, { 'account-show': ['1'] });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`cannot use subscription ${SUBSCRIPTION}`));
    expect(result.stderr).toMatch(/az login --tenant/);
    expect(
      kinds(result.calls).filter((k) => k !== `az account show --subscription ${SUBSCRIPTION} --query id --output tsv`),
    ).toEqual([]);
  });
});

describe('preprovision.sh (run with stand-ins for az and azd)', () => {
  const envSets = (calls: string[]) => calls.filter((c) => c.startsWith('azd env set'));

  test('first provisioning: nothing exists, nothing is asked of Azure but the subscription, defaults are kept', () => {
    const result = run('preprovision.sh', FIRST);
    expect(result.status).toBe(0);
    expect(envSets(result.calls)).toEqual([
      'azd env set ARCHIVER_CODE_DEPLOYED false --environment team-dev',
      'azd env set ARCHIVE_IMMUTABILITY_POLICY_APPLY true --environment team-dev',
      'azd env set AUDIT_IMMUTABILITY_POLICY_APPLY true --environment team-dev',
    ]);
    expect(azCalls(result.calls)).toEqual([`az account show --subscription ${SUBSCRIPTION} --query id --output tsv`]);
    // WORM is not decided yet: azd asks next (the parameter has no default), and the hook says what to answer.
    expect(result.stdout).toMatch(/ARCHIVE_IMMUTABILITY_ENABLED is not set: azd asks for it next/);
    expect(result.stdout).toMatch(/true is recommended for production/);
  });

  test("code already deployed: the provisioning may carry recordingState's URL over", () => {
    const result = run('preprovision.sh', DEPLOYED);
    expect(result.status).toBe(0);
    expect(azCalls(result.calls)).toEqual(
      expect.arrayContaining([
        `az group exists --name rg-team-dev --subscription ${SUBSCRIPTION} --output tsv`,
        expect.stringMatching(
          /^az functionapp list --resource-group rg-team-dev --subscription \S+ --query \[\?name=='func-abc123'\]/,
        ),
        expect.stringMatching(
          /^az functionapp function list --resource-group rg-team-dev --name func-abc123 --subscription \S+ .*recordingState/,
        ),
      ]),
    );
    expect(envSets(result.calls)[0]).toBe('azd env set ARCHIVER_CODE_DEPLOYED true --environment team-dev');
  });

  test("every Azure CLI call names azd's subscription, never the CLI's default one", () => {
    const result = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'true', EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME: 'evgt-shared' },
      { 'container-state': ['true Unlocked'] },
    );
    expect(result.status).toBe(0);
    expect(azCalls(result.calls).length).toBe(9);
    expectEveryAzCallNamesTheSubscription(result);
  });

  test('after azd down (the resource group is gone): not deployed, and nothing else is asked', () => {
    const result = run('preprovision.sh', DEPLOYED, { 'group-exists': ['false'] });
    expect(result.status).toBe(0);
    expect(envSets(result.calls)[0]).toBe('azd env set ARCHIVER_CODE_DEPLOYED false --environment team-dev');
    expect(azCalls(result.calls).map((c) => c.split(' --')[0])).toEqual(['az account show', 'az group exists']);
  });

  test('the app exists without its code (a failed deploy): not deployed', () => {
    const result = run('preprovision.sh', DEPLOYED, { 'function-list': [''] });
    expect(result.status).toBe(0);
    expect(envSets(result.calls)[0]).toBe('azd env set ARCHIVER_CODE_DEPLOYED false --environment team-dev');
  });

  test.each([
    ['group-exists', "checking the resource group 'rg-team-dev'"],
    ['functionapp-list', "listing the function apps of 'rg-team-dev'"],
    ['function-list', "listing the functions of 'func-abc123'"],
    ['account-list', "listing the storage accounts of 'rg-team-dev'"],
  ])(
    'a failing az call (%s) stops the provisioning with what failed, instead of reading it as "not deployed"',
    (key, what) => {
      const result = run('preprovision.sh', DEPLOYED, { [key]: ['!1'] });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(`preprovision: ${what} failed in subscription ${SUBSCRIPTION}:`);
      // az's own message, then what to do.
      expect(result.stderr).toMatch(/ERROR: \(stand-in\) az/);
      expect(result.stderr).toMatch(/run\s+azd provision again/);
      // Nothing was set: in particular not ARCHIVER_CODE_DEPLOYED=false, which would empty the callback URL.
      expect(envSets(result.calls)).toEqual([]);
    },
  );

  test('a failing read of the WORM container stops the provisioning too (a locked policy must not be PUT again)', () => {
    const result = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'true' },
      { 'container-state': ['!2'] },
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/listing the containers of 'starcabc123' failed/);
    expect(envSets(result.calls)).toEqual([]);
  });

  test('refuses to run without AZURE_SUBSCRIPTION_ID, with the fix, before any call', () => {
    const result = run('preprovision.sh', { AZURE_ENV_NAME: 'team-dev' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/AZURE_SUBSCRIPTION_ID is not set in the azd environment 'team-dev'/);
    expect(result.stderr).toMatch(/azd env set AZURE_SUBSCRIPTION_ID <subscription id> --environment team-dev/);
    expect(result.calls).toEqual([]);
  });

  test('an Azure CLI that cannot use the subscription stops it at once, with how to sign in', () => {
    const result = run('preprovision.sh', { ...DEPLOYED, AZURE_TENANT_ID: 'tenant-1' }, { 'account-show': ['1'] });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`the Azure CLI cannot use subscription ${SUBSCRIPTION}, the one azd deploys to`),
    );
    expect(result.stderr).toMatch(/az login --tenant tenant-1/);
    expect(azCalls(result.calls)).toHaveLength(1);
    expect(envSets(result.calls)).toEqual([]);
  });

  test('WORM switched on for an existing deployment: a NEW immutable container, and it says so', () => {
    const result = run('preprovision.sh', { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'true' });
    expect(result.status).toBe(0);
    expect(
      result.calls.find((c) => c.startsWith('az storage container-rm list') && c.includes('recordings-worm')),
    ).toMatch(/--storage-account starcabc123 --resource-group rg-team-dev .*recordings-worm/);
    expect(result.calls.find((c) => c.startsWith('az storage container-rm show'))).toBeUndefined();
    expect(result.stdout).toMatch(/'recordings-worm'/);
    expect(result.stdout).toMatch(/'recordings'\s+stays there, NOT protected/);
    expect(envSets(result.calls)[1]).toBe('azd env set ARCHIVE_IMMUTABILITY_POLICY_APPLY true --environment team-dev');
  });

  test('a locked policy is not deployed again (it would refuse the update and fail every provisioning)', () => {
    const result = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'true' },
      { 'container-state': ['true Locked'] },
    );
    expect(result.status).toBe(0);
    expect(result.calls.find((c) => c.startsWith('az storage container-rm show'))).toMatch(
      /--storage-account starcabc123 --resource-group rg-team-dev --name recordings-worm --subscription /,
    );
    expect(envSets(result.calls)[1]).toBe('azd env set ARCHIVE_IMMUTABILITY_POLICY_APPLY false --environment team-dev');
    expect(result.stdout).toMatch(/locked.*can only be extended/s);
  });

  test('an unlocked policy keeps being managed by the template', () => {
    const result = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'true' },
      { 'container-state': ['true Unlocked'] },
    );
    expect(result.status).toBe(0);
    expect(envSets(result.calls)[1]).toBe('azd env set ARCHIVE_IMMUTABILITY_POLICY_APPLY true --environment team-dev');
  });

  test('refuses a WORM container name taken by a container without version-level immutability', () => {
    const result = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'true' },
      { 'container-state': ['false None'] },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /refusing: the container 'recordings-worm' exists in 'starcabc123' WITHOUT version-level immutability/,
    );
    expect(envSets(result.calls)).toEqual([]);
  });

  test('refuses to turn WORM off silently; an explicit override allows it', () => {
    const refused = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'false' },
      { 'container-state': ['true Unlocked'] },
    );
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refusing: WORM is on for this environment/);
    const allowed = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'false', ARCHIVE_IMMUTABILITY_ALLOW_DISABLE: 'true' },
      { 'container-state': ['true Unlocked'] },
    );
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toMatch(/unprotected/);
  });

  test("WORM answered at azd's prompt is read from the environment's config, never taken for off", () => {
    // azd keeps a prompted value in .azure/<env>/config.json (infra.parameters.enableImmutability), not in .env.
    const answered = run('preprovision.sh', DEPLOYED, {
      'config-infra.parameters.enableImmutability': ['true'],
      'container-state': ['true Unlocked'],
    });
    expect(answered.status).toBe(0);
    expect(answered.calls).toContain('azd env config get infra.parameters.enableImmutability --environment team-dev');
    expect(envSets(answered.calls)[1]).toBe(
      'azd env set ARCHIVE_IMMUTABILITY_POLICY_APPLY true --environment team-dev',
    );
    // Neither in .env nor in the config, while the WORM container exists: refused, with the fix (the allowance to
    // turn WORM off does not apply to a value nobody gave).
    for (const extra of [{}, { ARCHIVE_IMMUTABILITY_ALLOW_DISABLE: 'true' }] as Record<string, string>[]) {
      const unknown = run(
        'preprovision.sh',
        { ...DEPLOYED, ...extra },
        { 'config-infra.parameters.enableImmutability': ['!1'], 'container-state': ['true Unlocked'] },
      );
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toMatch(/ARCHIVE_IMMUTABILITY_ENABLED is not set, so the provisioning could turn it off/);
      expect(unknown.stderr).toContain('azd env set ARCHIVE_IMMUTABILITY_ENABLED true --environment team-dev');
      expect(envSets(unknown.calls)).toEqual([]);
    }
  });

  test("the audit container's policy is not deployed again once locked, and a failing read stops it", () => {
    const locked = run('preprovision.sh', DEPLOYED, { 'audit-state': ['Locked'] });
    expect(locked.status).toBe(0);
    expect(locked.calls.find((c) => c.startsWith('az storage container-rm show'))).toMatch(
      new RegExp(`--name recording-audit --subscription ${SUBSCRIPTION} `),
    );
    expect(envSets(locked.calls)).toContain('azd env set AUDIT_IMMUTABILITY_POLICY_APPLY false --environment team-dev');
    expect(locked.stdout).toMatch(/audit container 'recording-audit' is locked/);
    const unlocked = run('preprovision.sh', DEPLOYED, { 'audit-state': ['Unlocked'] });
    expect(envSets(unlocked.calls)).toContain(
      'azd env set AUDIT_IMMUTABILITY_POLICY_APPLY true --environment team-dev',
    );
    const failing = run('preprovision.sh', DEPLOYED, { 'audit-state': ['!2'] });
    expect(failing.status).not.toBe(0);
    expect(failing.stderr).toMatch(/listing the containers of 'starcabc123' failed/);
    expect(envSets(failing.calls)).toEqual([]);
  });

  test('an existing system topic without a system-assigned identity is refused with the command that fixes it', () => {
    const env = {
      ...FIRST,
      ACS_EXISTING_NAME: 'acs-shared',
      ACS_EXISTING_RESOURCE_GROUP: 'rg-acs',
      EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME: 'evgt-shared',
    };
    for (const identity of ['None', '', 'UserAssigned']) {
      const result = run('preprovision.sh', env, { 'topic-identity': [identity] });
      expect(result.status).toBe(1);
      // Looked up where main.bicep looks: the ACS resource's group when the topic's own is not given.
      expect(result.calls).toContain(
        `az eventgrid system-topic show --name evgt-shared --resource-group rg-acs --subscription ${SUBSCRIPTION} --query identity.type --output tsv`,
      );
      expect(result.stderr).toMatch(
        /refusing: the Event Grid system topic 'evgt-shared' \(resource group 'rg-acs'\) has no system-assigned/,
      );
      expect(result.stderr).toContain(
        `az eventgrid system-topic update --name evgt-shared --resource-group rg-acs --subscription ${SUBSCRIPTION} --identity systemassigned`,
      );
      expect(envSets(result.calls)).toEqual([]);
    }
  });

  test('an existing system topic with its identity passes; its own resource group wins; a missing topic stops with its name', () => {
    const env = {
      ...FIRST,
      EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME: 'evgt-shared',
      EVENT_GRID_EXISTING_SYSTEM_TOPIC_RESOURCE_GROUP: 'rg-topics',
      ACS_EXISTING_NAME: 'acs-shared',
      ACS_EXISTING_RESOURCE_GROUP: 'rg-acs',
    };
    for (const identity of ['SystemAssigned', 'SystemAssigned, UserAssigned']) {
      const ok = run('preprovision.sh', env, { 'topic-identity': [identity] });
      expect(ok.status).toBe(0);
      expect(ok.calls.find((c) => c.startsWith('az eventgrid'))).toMatch(/--resource-group rg-topics /);
    }
    const missing = run('preprovision.sh', env, { 'topic-identity': ['!3'] });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/reading the Event Grid system topic 'evgt-shared' in 'rg-topics' .* failed/);
    // Without an existing ACS resource either, the topic is looked up in the environment's group.
    const own = run('preprovision.sh', { ...FIRST, EVENT_GRID_EXISTING_SYSTEM_TOPIC_NAME: 'evgt-shared' });
    expect(own.calls.find((c) => c.startsWith('az eventgrid'))).toMatch(/--resource-group rg-team-dev /);
  });
});

describe('whatif.sh (the what-if gate: azd provision --preview)', () => {
  const azdCalls = (calls: string[]) => calls.filter((c) => c.startsWith('azd '));

  test('previews the named environment in its own subscription, and changes nothing', () => {
    const result = run('whatif.sh', {}, { [`get-AZURE_SUBSCRIPTION_ID`]: [SUBSCRIPTION] }, 1, ['team-dev']);
    expect(result.status).toBe(0);
    expect(azdCalls(result.calls)).toEqual([
      'azd env get-value AZURE_SUBSCRIPTION_ID --environment team-dev',
      'azd provision --preview --environment team-dev --no-prompt',
    ]);
    expect(azCalls(result.calls)).toEqual([]);
    expect(result.stdout).toContain(`environment 'team-dev' in subscription ${SUBSCRIPTION}`);
  });

  test("takes the environment from AZURE_ENV_NAME, else azd's default one", () => {
    const fromEnv = run('whatif.sh', { AZURE_ENV_NAME: 'prod' }, { 'get-AZURE_SUBSCRIPTION_ID': [SUBSCRIPTION] });
    expect(azdCalls(fromEnv.calls).at(-1)).toBe('azd provision --preview --environment prod --no-prompt');
    const fromDefault = run(
      'whatif.sh',
      {},
      {
        'get-AZURE_ENV_NAME': ['staging'],
        'get-AZURE_SUBSCRIPTION_ID': [SUBSCRIPTION],
      },
    );
    expect(fromDefault.status).toBe(0);
    expect(azdCalls(fromDefault.calls)).toEqual([
      'azd env get-value AZURE_ENV_NAME',
      'azd env get-value AZURE_SUBSCRIPTION_ID --environment staging',
      'azd provision --preview --environment staging --no-prompt',
    ]);
  });

  test('refuses without a subscription, with the fix, and previews nothing', () => {
    for (const outcome of ['', '!1']) {
      const result = run('whatif.sh', { AZURE_ENV_NAME: 'team-dev' }, { 'get-AZURE_SUBSCRIPTION_ID': [outcome] });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/the azd environment 'team-dev' has no AZURE_SUBSCRIPTION_ID/);
      expect(result.stderr).toMatch(/azd env set AZURE_SUBSCRIPTION_ID <subscription id> --environment team-dev/);
      expect(result.calls.filter((c) => c.startsWith('azd provision'))).toEqual([]);
    }
  });

  test('refuses without an environment', () => {
    const result = run('whatif.sh', {}, { 'get-AZURE_ENV_NAME': ['!1'] });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/no azd environment/);
  });

  test("fails when the preview fails (azd's exit status)", () => {
    const result = run(
      'whatif.sh',
      { AZURE_ENV_NAME: 'team-dev' },
      { 'get-AZURE_SUBSCRIPTION_ID': [SUBSCRIPTION], 'azd-provision': ['1'] },
    );
    expect(result.status).toBe(1);
  });

  test('the PowerShell twin runs the same preview with the same refusals (read as text)', () => {
    const text = readFileSync(path.join(INFRA, 'scripts', 'whatif.ps1'), 'utf8');
    expect(text).toMatch(/azd provision --preview --environment \$EnvironmentName --no-prompt/);
    expect(text).toMatch(/azd env get-value AZURE_SUBSCRIPTION_ID --environment \$EnvironmentName/);
    expect(text).toMatch(/exit \$LASTEXITCODE/);
    expect(text.match(/exit 2/g)).toHaveLength(2);
  });
});
