import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEventEnvelopes } from '../../../../shared/events/envelope';
import { CallerRefusedError } from '../../../../shared/security/callerRefused';
import type { ReplayGuard, TokenUse } from '../../../../shared/security/replayGuard';
import { checkSenders, needsCallbackToken, type SenderPolicy } from '../../../../shared/security/senderCheck';
import { ACS_PUBLIC } from '../../../helpers/paths';

/** Microsoft's published payloads, verbatim; their sources are listed in test/fixtures/acs-public/SOURCES.md. */
const corpus = (file: string): unknown => JSON.parse(readFileSync(path.join(ACS_PUBLIC, file), 'utf8'));

const OUR_RESOURCE =
  '/subscriptions/{subscription-id}/resourcegroups/{group-name}/providers/microsoft.communication/communicationservices/{communication-services-resource-name}';

/** A token check that records what it was asked and accepts only the literal 'Bearer good' (or 'Bearer good2'). */
function tokenCheck() {
  const seen: Array<string | null | undefined> = [];
  return {
    seen,
    verify: (authorization: string | null | undefined) => {
      seen.push(authorization);
      return authorization === 'Bearer good' || authorization === 'Bearer good2'
        ? Promise.resolve({ tokenSha256: authorization.slice(7), expiresAt: new Date('2026-03-01T10:05:00Z') })
        : Promise.reject(new CallerRefusedError(401, 'InvalidToken', 'bad', 'Authorization'));
    },
  };
}

/** The replay guard's rule over a Map, as the blob guard keeps it in the control container. */
function memoryReplays(): ReplayGuard & { uses: TokenUse[] } {
  const first = new Map<string, string>();
  const uses: TokenUse[] = [];
  return {
    uses,
    use: async (token) => {
      uses.push(token);
      const seen = first.get(token.tokenSha256);
      if (seen === undefined) first.set(token.tokenSha256, token.instructionSha256);
      else if (seen !== token.instructionSha256) {
        throw new CallerRefusedError(401, 'TokenReplayed', 'replayed', 'Authorization');
      }
    },
  };
}

const policyOf = (overrides: Partial<SenderPolicy>): SenderPolicy => ({
  acsResourceId: OUR_RESOURCE,
  callbackTokens: null,
  uncheckedCallbacks: false,
  replays: null,
  ...overrides,
});

const callStarted = () => parseEventEnvelopes([corpus('eventgrid-examples/legacy.call_started.json')]);
const callConnected = () => parseEventEnvelopes(corpus('sdk/java-callautomation.EVENT_CALL_CONNECTED.json'));
const handshake = () => parseEventEnvelopes(corpus('learn/webhook-event-delivery.SubscriptionValidationEvent.json'));

describe('checkSenders', () => {
  it('fails closed: without ACS_IMMUTABLE_RESOURCE_ID a callback is refused (401), unless ACS_CALLBACK_AUTH=none', async () => {
    const closed = policyOf({ acsResourceId: null });
    await expect(checkSenders(callConnected(), 'Bearer good', closed)).rejects.toMatchObject({
      status: 401,
      code: 'CallbackAuthNotConfigured',
      message: expect.stringContaining('ACS_IMMUTABLE_RESOURCE_ID'),
    });
    // System events and the handshake carry no token; without ACS_RESOURCE_ID nothing checks their topic.
    await expect(checkSenders([...callStarted(), ...handshake()], null, closed)).resolves.toBeUndefined();
    const open = policyOf({ acsResourceId: null, uncheckedCallbacks: true });
    await expect(checkSenders([...callStarted(), ...callConnected()], null, open)).resolves.toBeUndefined();
  });

  it('binds a token to the events it first came with: a retry passes, other events with it are refused', async () => {
    const replays = memoryReplays();
    const policy = policyOf({ callbackTokens: tokenCheck(), replays });
    await checkSenders(callConnected(), 'Bearer good', policy);
    await checkSenders(callConnected(), 'Bearer good', policy); // the same callback delivered again
    const other = parseEventEnvelopes([
      { ...(corpus('sdk/java-callautomation.EVENT_CALL_CONNECTED.json') as object), id: 'forged' },
    ]);
    await expect(checkSenders(other, 'Bearer good', policy)).rejects.toMatchObject({
      status: 401,
      code: 'TokenReplayed',
    });
    await expect(checkSenders(other, 'Bearer good2', policy)).resolves.toBeUndefined(); // its own token
    expect(replays.uses.map((u) => u.tokenSha256)).toEqual(['good', 'good', 'good', 'good2']);
    expect(new Set(replays.uses.map((u) => u.instructionSha256)).size).toBe(2);
  });

  it('refuses a system event from another resource with 403, and accepts ours', async () => {
    const policy = policyOf({});
    await expect(checkSenders(callStarted(), null, policy)).resolves.toBeUndefined();
    const foreign = parseEventEnvelopes([
      { ...(corpus('eventgrid-examples/legacy.call_started.json') as object), topic: '/subscriptions/evil' },
    ]);
    await expect(checkSenders(foreign, null, policy)).rejects.toMatchObject({ status: 403, code: 'ForeignTopic' });
  });

  it('asks for a Call Automation token for callbacks only, never for system events or the handshake', async () => {
    const tokens = tokenCheck();
    const policy = policyOf({ callbackTokens: tokens });
    await checkSenders(callStarted(), null, policy);
    await checkSenders(handshake(), null, policy);
    expect(tokens.seen).toEqual([]);
    await expect(checkSenders(callConnected(), 'Bearer good', policy)).resolves.toBeUndefined();
    await expect(checkSenders(callConnected(), null, policy)).rejects.toMatchObject({ status: 401 });
    expect(tokens.seen).toEqual(['Bearer good', null]);
  });

  it('refuses a whole delivery when one of its events is refused', async () => {
    const policy = policyOf({ callbackTokens: tokenCheck() });
    await expect(checkSenders([...callStarted(), ...callConnected()], 'Bearer bad', policy)).rejects.toMatchObject({
      status: 401,
    });
  });

  it.each([
    ['Microsoft.Communication.CallConnected', true],
    ['Microsoft.Communication.CallDisconnected', true],
    ['Microsoft.Communication.RecordingStateChanged', true],
    ['Microsoft.Communication.StartRecordingFailed', true],
    ['Microsoft.Communication.CallRecordingStateChanged', true],
    ['Microsoft.Communication.CallLegStateChanged', true],
    ['Contoso.Anything', true],
    ['Microsoft.Communication.CallStarted', false],
    ['Microsoft.Communication.CallEnded', false],
    ['Microsoft.EventGrid.SubscriptionValidationEvent', false],
  ])('needsCallbackToken(%s) is %s', (type, expected) => {
    expect(needsCallbackToken({ type })).toBe(expected);
  });
});
