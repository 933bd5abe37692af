import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEventEnvelopes } from '../../../../shared/events/envelope';
import { CallerRefusedError } from '../../../../shared/security/callerRefused';
import { checkSenders, needsCallbackToken, type SenderPolicy } from '../../../../shared/security/senderCheck';
import { ACS_PUBLIC } from '../../../helpers/paths';

/** Microsoft's published payloads, verbatim; their sources are listed in test/fixtures/acs-public/SOURCES.md. */
const corpus = (file: string): unknown => JSON.parse(readFileSync(path.join(ACS_PUBLIC, file), 'utf8'));

const OUR_RESOURCE =
  '/subscriptions/{subscription-id}/resourcegroups/{group-name}/providers/microsoft.communication/communicationservices/{communication-services-resource-name}';

/** A token check that records what it was asked and accepts only the literal 'Bearer good'. */
function tokenCheck() {
  const seen: Array<string | null | undefined> = [];
  return {
    seen,
    verify: (authorization: string | null | undefined) => {
      seen.push(authorization);
      return authorization === 'Bearer good'
        ? Promise.resolve()
        : Promise.reject(new CallerRefusedError(401, 'InvalidToken', 'bad', 'Authorization'));
    },
  };
}

const callStarted = () => parseEventEnvelopes([corpus('eventgrid-examples/legacy.call_started.json')]);
const callConnected = () => parseEventEnvelopes(corpus('sdk/java-callautomation.EVENT_CALL_CONNECTED.json'));
const handshake = () => parseEventEnvelopes(corpus('learn/webhook-event-delivery.SubscriptionValidationEvent.json'));

describe('checkSenders', () => {
  it('lets everything through when neither setting is on', async () => {
    const policy: SenderPolicy = { acsResourceId: null, callbackTokens: null };
    await expect(checkSenders([...callStarted(), ...callConnected()], null, policy)).resolves.toBeUndefined();
  });

  it('refuses a system event from another resource with 403, and accepts ours', async () => {
    const policy: SenderPolicy = { acsResourceId: OUR_RESOURCE, callbackTokens: null };
    await expect(checkSenders(callStarted(), null, policy)).resolves.toBeUndefined();
    const foreign = parseEventEnvelopes([
      { ...(corpus('eventgrid-examples/legacy.call_started.json') as object), topic: '/subscriptions/evil' },
    ]);
    await expect(checkSenders(foreign, null, policy)).rejects.toMatchObject({ status: 403, code: 'ForeignTopic' });
  });

  it('asks for a Call Automation token for callbacks only, never for system events or the handshake', async () => {
    const tokens = tokenCheck();
    const policy: SenderPolicy = { acsResourceId: OUR_RESOURCE, callbackTokens: tokens };
    await checkSenders(callStarted(), null, policy);
    await checkSenders(handshake(), null, policy);
    expect(tokens.seen).toEqual([]);
    await expect(checkSenders(callConnected(), 'Bearer good', policy)).resolves.toBeUndefined();
    await expect(checkSenders(callConnected(), null, policy)).rejects.toMatchObject({ status: 401 });
    expect(tokens.seen).toEqual(['Bearer good', null]);
  });

  it('refuses a whole delivery when one of its events is refused', async () => {
    const policy: SenderPolicy = { acsResourceId: OUR_RESOURCE, callbackTokens: tokenCheck() };
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
