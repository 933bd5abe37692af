import { randomUUID } from 'node:crypto';
import { createAcsAuthenticator } from '../../../shared/acs';
import { AppError } from '../../../shared/errors';
import { safeText } from '../../../shared/text';
import { fail, pass, skip, warn, type Check, type DoctorContext, type Outcome } from '../check';
import { probe, type ProbeAnswer } from '../probe';
import { isUnavailable } from '../target';

/**
 * Can the app's credential start and read a recording? Two dry calls that expect the documented answer for a call
 * and a recording that do not exist: a GA start by a made-up `callConnectionId` (the 2025-06-15 StartCallRecording
 * request takes one in place of `callLocator`) and a state read of a made-up recordingId. ACS authenticates before it
 * looks anything up, so 404 (error 8522, "not found") means the credential is accepted, and 401/403 that it is not.
 * Nothing is started: a made-up connection id names no call (a callLocator with a made-up serverCallId would not be
 * as safe: the emulator, unlike ACS, registers an unknown serverCallId).
 * With ACS_CONNECTION_STRING the calls use the app's own access key. With ACS_ENDPOINT they use YOUR sign-in, since
 * nothing outside Azure can act as the app's managed identity; acs.role then checks the identity's role instead.
 */

/** Communication and Email Service Owner, the role infra/app/acs-access.bicep gives the app's identity. */
const OWNER_ROLE = '09976791-48a7-449e-bb21-39d1a415f350';

export const acsAccess: Check = {
  id: 'acs.access',
  title: 'ACS accepts the credential to start and read recordings (dry calls)',
  async run(ctx) {
    const { acs } = ctx.config;
    const who =
      acs.auth.kind === 'key' ? "the app's access key (ACS_CONNECTION_STRING)" : 'your sign-in (ACS_ENDPOINT)';
    const q = `?api-version=${encodeURIComponent(acs.apiVersion)}`;
    const calls: [string, string, string, unknown][] =
      acs.dialect === 'calling'
        ? [
            ['start', 'POST', `/calling/recordings${q}`, { callConnectionId: randomUUID() }],
            ['read', 'GET', `/calling/recordings/${randomUUID()}${q}`, undefined],
          ]
        : [['read', 'GET', `/conversations/${randomUUID()}/recordings/${randomUUID()}${q}`, undefined]];
    const seen: string[] = [];
    for (const [what, method, pathAndQuery, body] of calls) {
      let answer: ProbeAnswer;
      try {
        answer = await dryCall(ctx, method, pathAndQuery, body);
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'TokenUnavailable')) throw error;
        return fail(
          `no Microsoft Entra token for ACS for ${who}`,
          'sign in: az login (the tenant of the ACS resource)',
        );
      }
      if (what === 'start' && answer.status >= 200 && answer.status < 300) await stopStarted(ctx, answer);
      const verdict = verdictOf(what, answer, who, ctx);
      if (verdict.status !== 'pass') return verdict;
      seen.push(verdict.detail);
    }
    const note = acs.dialect === 'calling' ? '' : ' (2021 dialect: no dry start, which would start a recording)';
    return pass(`${who}: ${seen.join('; ')}${note}`);
  },
};

export const acsRole: Check = {
  id: 'acs.role',
  title: "the app's identity holds its role on the ACS resource",
  async run(ctx) {
    if (ctx.config.acs.auth.kind === 'key') return skip('ACS_CONNECTION_STRING: the app signs with the access key');
    const assignments = await ctx.target.acsRoleAssignments();
    if (isUnavailable(assignments)) return skip(assignments.unavailable);
    const acsId = (ctx.settings.ACS_RESOURCE_ID ?? '').toLowerCase();
    const held = assignments.find(
      (a) => a.roleDefinitionGuid === OWNER_ROLE && acsId.startsWith(a.scope.toLowerCase()),
    );
    if (held) return pass(`Communication and Email Service Owner at ${safeText(held.scope, 200)}`);
    return fail(
      `the app's identity (AZURE_FUNCTION_PRINCIPAL_ID) has no Communication and Email Service Owner role on the ACS resource: ACS answers its starts and downloads 401/403`,
      'azd hooks run postdeploy gives it the role (or assign it on the resource); restart the app after (tokens are cached for hours); docs/operations.md#the-acs-role',
    );
  },
};

async function dryCall(ctx: DoctorContext, method: string, pathAndQuery: string, body: unknown): Promise<ProbeAnswer> {
  const url = new URL(pathAndQuery, ctx.config.acs.endpoint);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers = await createAcsAuthenticator(ctx.config.acs).headers(method, pathAndQuery, url.host, text);
  return probe(url, {
    method,
    headers: { ...headers, ...(text === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(text === undefined ? {} : { body: text }),
  });
}

/** A dry start that started something after all is stopped at once (never left recording a stranger's call). */
async function stopStarted(ctx: DoctorContext, answer: ProbeAnswer): Promise<void> {
  let recordingId: unknown;
  try {
    recordingId = (JSON.parse(answer.body) as { recordingId?: unknown }).recordingId;
  } catch {
    return;
  }
  if (typeof recordingId !== 'string' || recordingId === '') return;
  const q = `?api-version=${encodeURIComponent(ctx.config.acs.apiVersion)}`;
  await dryCall(ctx, 'DELETE', `/calling/recordings/${encodeURIComponent(recordingId)}${q}`, undefined);
}

function verdictOf(what: string, answer: ProbeAnswer, who: string, ctx: DoctorContext): Outcome {
  const code = errorCode(answer.body);
  const said = `${answer.describe}${code ? ` ${code}` : ''}`;
  if (answer.status === 401 || answer.status === 403) {
    return fail(
      `ACS refused ${who} for a ${what} (${said})`,
      ctx.config.acs.auth.kind === 'key'
        ? "ACS_CONNECTION_STRING's key is not (or no longer) the resource's: copy a current one from its Keys page"
        : 'give your account (and the app, see acs.role) a role on the ACS resource; az login with the right tenant',
    );
  }
  if (answer.status === 404) return pass(`${what}: ${said}, as documented for a call that does not exist`);
  if (answer.status >= 400 && answer.status < 500) return pass(`${what}: ${said} (the credential was accepted)`);
  if (answer.status >= 200 && answer.status < 300) {
    return warn(
      `ACS answered a ${what} for a made-up call with ${said}: it should have answered 404`,
      'tell the maintainers: the dry call is not dry against this service',
    );
  }
  return fail(`ACS gave ${said} for a ${what}`, 'ACS did not answer usefully: run doctor again later');
}

/** The error code of an ACS answer, in either dialect's shape. */
function errorCode(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { error?: { code?: unknown }; code?: unknown };
    const code = json.error?.code ?? json.code;
    return typeof code === 'string' ? safeText(code, 40) : undefined;
  } catch {
    return undefined;
  }
}
