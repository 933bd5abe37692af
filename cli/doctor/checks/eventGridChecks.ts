import { safeText } from '../../../shared/text';
import { fail, pass, skip, warn, type Check, type DoctorContext, type Outcome } from '../check';
import { printable, probe, type ProbeAnswer } from '../probe';
import { isUnavailable, type EventSubscriptionView } from '../target';

/**
 * The two Event Grid subscriptions on the ACS resource's system topic, and the recording state callback URL: each
 * exists, filters the right events, points at this app, and its key still opens its function. NOTE: Event Grid never
 * retries a 401 from a WebHook (https://learn.microsoft.com/azure/event-grid/delivery-and-retry): after callEvents'
 * key is renewed, every call event is dead-lettered at once, and nothing in the app logs it, since nothing reaches it.
 * So the keys are probed: the URL Event Grid holds (getFullUrl) and the one ACS is given, each sent one request that
 * changes nothing.
 */

const RECORDING_FILES = 'Microsoft.Communication.RecordingFileStatusUpdated';
const CALL_EVENTS = ['Microsoft.Communication.CallStarted', 'Microsoft.Communication.CallEnded'];
const POSTDEPLOY = 'run the postdeploy hook, which creates and updates both subscriptions: azd hooks run postdeploy';

export const recordingFilesSubscription: Check = {
  id: 'eventGrid.recordingFiles',
  title: 'Event Grid delivers RecordingFileStatusUpdated to archiveRecording',
  async run(ctx) {
    const subscriptions = await ctx.target.eventSubscriptions();
    if (isUnavailable(subscriptions)) return skip(subscriptions.unavailable);
    const functionId = siteId(ctx) && `${siteId(ctx)}/functions/archiveRecording`;
    const matching = subscriptions.filter(
      (s) => s.endpointType === 'AzureFunction' && same(s.endpoint, functionId ?? ''),
    );
    if (matching.length === 0) {
      return fail(`no subscription delivers to archiveRecording (the topic has: ${names(subscriptions)})`, POSTDEPLOY);
    }
    return judge(ctx, matching, [RECORDING_FILES], async () =>
      pass('an AzureFunction destination (Event Grid holds its key)'),
    );
  },
};

export const callEventsSubscription: Check = {
  id: 'eventGrid.callEvents',
  title: "Event Grid delivers CallStarted/CallEnded to callEvents, with callEvents' current key",
  async run(ctx) {
    const subscriptions = await ctx.target.eventSubscriptions();
    if (isUnavailable(subscriptions)) return skip(subscriptions.unavailable);
    const endpoint = new URL('/api/call-events', ctx.target.appUrl).href;
    const matching = subscriptions.filter((s) => s.endpointType === 'WebHook' && same(s.endpoint, endpoint));
    if (matching.length === 0) {
      return fail(`no subscription delivers to ${endpoint} (the topic has: ${names(subscriptions)})`, POSTDEPLOY);
    }
    return judge(ctx, matching, CALL_EVENTS, async (subscription) => {
      const url = await ctx.target.webhookUrl(subscription.name);
      if (isUnavailable(url)) return skip(url.unavailable);
      // The CloudEvents abuse-protection handshake: answered by callEvents itself, changes nothing.
      const answer = await probe(url, {
        method: 'OPTIONS',
        headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
      });
      return keyVerdict(
        answer,
        'callEvents',
        POSTDEPLOY + " (it writes callEvents' current key into the subscription)",
      );
    });
  },
};

export const recordingStateCallback: Check = {
  id: 'callback.recordingState',
  title: "RECORDING_STATE_CALLBACK_URL opens recordingState (ACS's state callbacks)",
  async run({ target }) {
    const settings = await target.appSettings();
    if (isUnavailable(settings)) return skip(settings.unavailable);
    const raw = settings.RECORDING_STATE_CALLBACK_URL;
    if (!raw) return skip('RECORDING_STATE_CALLBACK_URL is not set (see app.settings)');
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail(
        'RECORDING_STATE_CALLBACK_URL is not an absolute URL',
        'set it to https://<app>/api/recording-state?code=<key>',
      );
    }
    const fix =
      target.kind === 'azure'
        ? "run the postdeploy hook, which sets it with recordingState's current key: azd hooks run postdeploy"
        : 'give it the recordingState key the local host holds (LOCAL_HOST_KEYS), or none when keys are not enforced';
    if (!/\/api\/recording-state\/?$/i.test(url.pathname)) {
      return fail(`it points at ${printable(url)}, not at /api/recording-state`, fix);
    }
    // An empty delivery: the function refuses it (400) after the host has accepted the key; nothing is done.
    const answer = await probe(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    const verdict = keyVerdict(answer, 'recordingState', fix);
    if (verdict.status === 'pass' && url.origin !== target.appUrl.origin) {
      return warn(`${verdict.detail}, but at ${url.origin}, not at ${target.appUrl.origin}`, 'point it at this app');
    }
    return verdict;
  },
};

/** The checks every matching subscription must pass, then the endpoint check of the first one. */
async function judge(
  ctx: DoctorContext,
  matching: EventSubscriptionView[],
  types: readonly string[],
  endpointCheck: (s: EventSubscriptionView) => Promise<Outcome>,
): Promise<Outcome> {
  const subscription = matching[0]!;
  const label = `subscription ${safeText(subscription.name, 80)}`;
  if (subscription.provisioningState !== 'Succeeded') {
    return fail(`${label} is ${subscription.provisioningState}`, POSTDEPLOY);
  }
  const included = subscription.includedEventTypes?.map((t) => t.toLowerCase());
  const missing = included ? types.filter((t) => !included.includes(t.toLowerCase())) : [];
  if (missing.length > 0) return fail(`${label} does not include ${missing.join(', ')}`, POSTDEPLOY);
  const deadLetters = deadLetterProblem(ctx, subscription);
  if (deadLetters) return deadLetters;
  const endpoint = await endpointCheck(subscription);
  if (endpoint.status !== 'pass') return { ...endpoint, detail: `${label}: ${endpoint.detail}` };
  if (matching.length > 1) {
    return warn(
      `${label} is right, ${endpoint.detail}; but ${matching.length} subscriptions deliver here (${names(matching)}): each event comes ${matching.length} times`,
      'delete the subscriptions of environments that no longer exist (az eventgrid system-topic event-subscription delete)',
    );
  }
  return pass(`${label}, ${endpoint.detail}`);
}

/** Dead letters must land where `redrive` and the dead-letter alert look: DEAD_LETTER_CONTAINER in the archive account. */
function deadLetterProblem(ctx: DoctorContext, subscription: EventSubscriptionView): Outcome | null {
  const expected = ctx.settings.DEAD_LETTER_CONTAINER ?? 'eventgrid-deadletter';
  const label = `subscription ${safeText(subscription.name, 80)}`;
  if (!subscription.deadLetter) {
    return fail(`${label} has no dead-letter destination: what Event Grid gives up on is lost`, POSTDEPLOY);
  }
  const account = subscription.deadLetter.storageAccountId.split('/').pop() ?? '';
  const expectedAccount = ctx.settings.ARCHIVE_STORAGE_ACCOUNT_NAME;
  if (subscription.deadLetter.container !== expected || (expectedAccount && !same(account, expectedAccount))) {
    return fail(
      `${label} dead-letters into ${account}/${subscription.deadLetter.container}, but redrive reads ${expectedAccount ?? '(the archive account)'}/${expected}`,
      POSTDEPLOY,
    );
  }
  return null;
}

/** What an answer says about a function key: the host refuses a wrong one with 401 before the function runs. */
function keyVerdict(answer: ProbeAnswer, fn: string, fix: string): Outcome {
  if (answer.status >= 200 && answer.status < 300) return pass(`its key opens ${fn} (${answer.describe})`);
  if (answer.status === 401 || answer.status === 403) {
    // NOTE: the host's refusal has no body; a JSON error is the function's own answer (its sender check), past the key.
    if (/"error"\s*:/.test(answer.body))
      return pass(`its key opens ${fn} (the function itself answered ${answer.status})`);
    return fail(
      `its key no longer opens ${fn} (${answer.describe}): Event Grid and ACS do not retry a 401, so what they send is lost (Event Grid dead-letters it)`,
      fix,
    );
  }
  if (answer.status === 400 && /"error"\s*:/.test(answer.body)) {
    return pass(`its key opens ${fn} (the function refused the empty probe, as it should)`);
  }
  if (answer.status === 404) return fail(`nothing answers there (${answer.describe}): is ${fn} deployed?`, fix);
  return fail(`${fn} gave ${answer.describe}`, 'see app.answers; run doctor again once the app answers');
}

function siteId(ctx: DoctorContext): string | undefined {
  const { AZURE_SUBSCRIPTION_ID: sub, AZURE_RESOURCE_GROUP: rg, AZURE_FUNCTION_APP_NAME: app } = ctx.settings;
  return sub && rg && app
    ? `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${app}`
    : undefined;
}

/** Resource ids and URLs compare case-insensitively (ARM and DNS do); a trailing slash does not count. */
function same(a: string, b: string): boolean {
  return a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

function names(subscriptions: readonly EventSubscriptionView[]): string {
  return subscriptions.map((s) => safeText(s.name, 80)).join(', ') || 'none';
}
