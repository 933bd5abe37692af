import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INFRA } from './templates';

/**
 * Runs the POSIX hook scripts for real (with /bin/sh) against stand-ins for `az`, `azd`, `curl`, `sleep` and `date`
 * placed first on PATH. Each stand-in records how it was called and answers from a script of outcomes, so the tests
 * see what the hooks really do: the order of the steps, the deployment names and parameters, the backoff between
 * retries and when they give up, and what they set in the azd environment. (The .ps1 twins are checked as text in
 * infra.test.ts; PowerShell is not installed here.)
 */

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every call to a stand-in, in order: "az deployment group create --name ...". */
  calls: string[];
}

/** Outcomes per stand-in key: exit codes (az, azd), HTTP codes (curl) or outputs; the last one repeats. */
type Script = Record<string, string[]>;

const STUB = `#!/bin/sh
# Records the call, then answers with the next scripted outcome for its key (the last one repeats).
name="$(basename "$0")"
printf '%s\\n' "$name $*" >> "$STUB_DIR/calls.log"
next() {
  f="$STUB_DIR/$1.outcomes"
  if [ ! -s "$f" ]; then echo "$2"; return; fi
  head -n 1 "$f"
  if [ "$(wc -l < "$f")" -gt 1 ]; then tail -n +2 "$f" > "$f.rest" && mv "$f.rest" "$f"; fi
}
case "$name" in
  sleep) exit 0 ;;
  date)
    now="$(cat "$STUB_DIR/clock" 2>/dev/null || echo 1000000)"
    echo $((now + \${STUB_DATE_STEP:-1})) > "$STUB_DIR/clock"
    echo "$now"
    exit 0 ;;
  curl) printf '%s' "$(next curl 200)"; exit 0 ;;
  azd) exit "$(next azd 0)" ;;
  az)
    case "$*" in
      "functionapp function show"*) exit "$(next function-show 0)" ;;
      "deployment group create"*"callback-url.bicep"*) exit "$(next deploy-callback 0)" ;;
      "deployment group create"*"subscriptions.bicep"*) exit "$(next deploy-subscriptions 0)" ;;
      "storage account show"*) exit "$(next account-show 0)" ;;
      "storage container-rm show"*)
        state="$(next container-state absent)"
        if [ "$state" = absent ]; then exit 3; fi
        printf '%s\\n' "$state"; exit 0 ;;
      *) exit 0 ;;
    esac ;;
esac
`;

function run(script: string, env: Record<string, string>, outcomes: Script = {}, dateStep = 1): Run {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cra-hooks-'));
  try {
    for (const name of ['az', 'azd', 'curl', 'sleep', 'date']) {
      writeFileSync(path.join(dir, name), STUB);
      chmodSync(path.join(dir, name), 0o755);
    }
    for (const [key, values] of Object.entries(outcomes))
      writeFileSync(path.join(dir, `${key}.outcomes`), `${values.join('\n')}\n`);
    writeFileSync(path.join(dir, 'calls.log'), '');
    const result = spawnSync('/bin/sh', [path.join(INFRA, 'scripts', script)], {
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

/** What azd puts in the environment after `azd provision` (main.bicep outputs), for an environment "team-dev". */
const DEPLOYED = {
  AZURE_ENV_NAME: 'team-dev',
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

const sleeps = (calls: string[]) => calls.filter((c) => c.startsWith('sleep ')).map((c) => Number(c.slice(6)));
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
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // Collapse repeats: the order of the steps.
    const steps = kinds(result.calls).filter((k, i, all) => k !== all[i - 1]);
    expect(steps).toEqual([
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

  test('refuses to run without the azd environment, naming what is missing', () => {
    const { AZURE_FUNCTION_APP_NAME: _omitted, ...incomplete } = DEPLOYED;
    const result = run('postdeploy.sh', incomplete);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/AZURE_FUNCTION_APP_NAME/);
    expect(result.calls.filter((c) => !c.startsWith('date'))).toEqual([]);
  });
});

describe('preprovision.sh (run with stand-ins for az and azd)', () => {
  const envSets = (calls: string[]) => calls.filter((c) => c.startsWith('azd env set'));

  test('first provisioning: nothing exists, nothing is asked of storage, defaults are kept', () => {
    const result = run('preprovision.sh', { AZURE_ENV_NAME: 'team-dev' });
    expect(result.status).toBe(0);
    expect(envSets(result.calls)).toEqual([
      'azd env set ARCHIVER_CODE_DEPLOYED false --environment team-dev',
      'azd env set ARCHIVE_IMMUTABILITY_POLICY_APPLY true --environment team-dev',
    ]);
    expect(result.calls.filter((c) => c.startsWith('az '))).toEqual([]);
  });

  test("code already deployed: the callback URL may carry recordingState's key", () => {
    const result = run('preprovision.sh', DEPLOYED, { 'container-state': ['absent'] });
    expect(result.status).toBe(0);
    expect(result.calls).toContain(
      'az functionapp function show --resource-group rg-team-dev --name func-abc123 --function-name recordingState --query name --output tsv',
    );
    expect(envSets(result.calls)[0]).toBe('azd env set ARCHIVER_CODE_DEPLOYED true --environment team-dev');
  });

  test('after azd down (the app is gone): not deployed', () => {
    const result = run('preprovision.sh', DEPLOYED, { 'function-show': ['3'], 'account-show': ['3'] });
    expect(result.status).toBe(0);
    expect(envSets(result.calls)[0]).toBe('azd env set ARCHIVER_CODE_DEPLOYED false --environment team-dev');
  });

  test('WORM switched on for an existing deployment: a NEW immutable container, and it says so', () => {
    const result = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ENABLED: 'true' },
      { 'container-state': ['absent'] },
    );
    expect(result.status).toBe(0);
    expect(result.calls.find((c) => c.startsWith('az storage container-rm show'))).toMatch(
      /--storage-account starcabc123 --resource-group rg-team-dev --name recordings-worm /,
    );
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
    expect(envSets(result.calls).filter((c) => c.includes('IMMUTABILITY'))).toEqual([]);
  });

  test('refuses to turn WORM off silently; an explicit override allows it', () => {
    const refused = run('preprovision.sh', DEPLOYED, { 'container-state': ['true Unlocked'] });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/refusing: WORM is on for this environment/);
    const allowed = run(
      'preprovision.sh',
      { ...DEPLOYED, ARCHIVE_IMMUTABILITY_ALLOW_DISABLE: 'true' },
      { 'container-state': ['true Unlocked'] },
    );
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toMatch(/unprotected/);
  });
});
