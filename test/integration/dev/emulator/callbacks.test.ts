import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { startEmulator, type AcsEmulator, type CallbackAuthMode } from '../../../../dev/emulator';
import { control } from '../../../helpers/signedFetch';
import { startWebhookReceiver, type WebhookReceiver } from '../../../helpers/webhookReceiver';

/**
 * Signed Call Automation callbacks: the OpenID configuration and keys on the endpoint, and JWTs checked here with
 * jose (a library the emulator does not use) the way Learn's "How to secure webhook endpoint" sample checks them:
 * issuer and keys from the configuration, audience = the immutable resource id, RS256, five-minute lifetime.
 */

let emulator: AcsEmulator;
let callbacks: WebhookReceiver;
let verify: (token: string, audience?: string) => Promise<JWTPayload>;
beforeAll(async () => {
  emulator = await startEmulator({ deliveryRetryDelaysMs: [5] });
  callbacks = await startWebhookReceiver();
  const config = (await (await fetch(emulator.openIdConfigUrl)).json()) as { issuer: string; jwks_uri: string };
  const keys = createRemoteJWKSet(new URL(config.jwks_uri));
  verify = async (token, audience = emulator.immutableResourceId) =>
    (await jwtVerify(token, keys, { issuer: config.issuer, audience, algorithms: ['RS256'] })).payload;
});
afterAll(async () => {
  await emulator.stop();
  await callbacks.close();
});
afterEach(() => emulator.setCallbackAuth('valid'));

const bearer = (header: string | string[] | undefined): string => String(header).replace(/^Bearer /, '');

describe('OpenID configuration', () => {
  it('serves issuer and jwks_uri at Microsoft path, without credentials', async () => {
    const origin = new URL(emulator.endpoint).origin;
    expect(emulator.openIdConfigUrl).toBe(`${origin}/calling/.well-known/acsopenidconfiguration`);
    emulator.clearRequests();
    const response = await fetch(emulator.openIdConfigUrl);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ issuer: origin, jwks_uri: `${origin}/calling/keys` });
    const jwks = (await (await fetch(`${origin}/calling/keys`)).json()) as { keys: any[] };
    expect(jwks.keys).toEqual([
      { kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: expect.any(String), use: 'sig', alg: 'RS256' },
    ]);
    expect(emulator.requests.map((r) => [r.path, r.auth, r.authorized, r.status])).toEqual([
      ['/calling/.well-known/acsopenidconfiguration', 'none', true, 200],
      ['/calling/keys', 'none', true, 200],
    ]);
  });
});

describe('callbackToken', () => {
  it('is valid for the immutable resource id, for five minutes', async () => {
    const payload = await verify(emulator.callbackToken());
    expect(payload.aud).toBe('6d6f636b-6163-7365-6d75-6c61746f7221');
    expect(emulator.immutableResourceId).toBe('6d6f636b-6163-7365-6d75-6c61746f7221');
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it.each([
    ['a foreign key', { foreignKey: true }, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['an expired token', { expiresInSeconds: -60 }, 'ERR_JWT_EXPIRED'],
    ['another audience', { audience: '0a0b0c0d-0000-4000-8000-000000000000' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
    ['an unknown kid', { kid: 'not-a-published-kid' }, 'ERR_JWKS_NO_MATCHING_KEY'],
  ])('fails validation with %s', async (_name, opts, code) => {
    await expect(verify(emulator.callbackToken(opts))).rejects.toMatchObject({ code });
  });

  it('takes the audience from the immutableResourceId option; another emulator is another issuer', async () => {
    const other = await startEmulator({ immutableResourceId: '12345678-90ab-4cde-8f01-234567890abc' });
    try {
      const payload = await verify(other.callbackToken(), '12345678-90ab-4cde-8f01-234567890abc').catch(
        (error: { code?: string }) => error.code,
      );
      // Another emulator is another issuer: its token does not pass for this one's, whatever its audience.
      expect(payload).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
      const config = (await (await fetch(other.openIdConfigUrl)).json()) as { issuer: string; jwks_uri: string };
      const own = await jwtVerify(other.callbackToken(), createRemoteJWKSet(new URL(config.jwks_uri)), {
        issuer: config.issuer,
        audience: '12345678-90ab-4cde-8f01-234567890abc',
      });
      expect(own.payload.aud).toBe('12345678-90ab-4cde-8f01-234567890abc');
    } finally {
      await other.stop();
    }
  });
});

describe('callbacks the emulator sends', () => {
  async function recordWithCallback(): Promise<{ recordingId: string; serverCallId: string; callId: string }> {
    const call = await emulator.startCall();
    const response = await control(emulator, 'POST', 'calling/recordings?api-version=2025-06-15', {
      callLocator: { kind: 'serverCallLocator', serverCallId: call.serverCallId },
      recordingStateCallbackUri: callbacks.url,
    });
    const { recordingId } = (await response.json()) as { recordingId: string };
    await emulator.idle();
    return { recordingId, serverCallId: call.serverCallId, callId: call.callId };
  }

  it('RecordingStateChanged: the documented shape, signed with a valid token', async () => {
    const before = callbacks.received.length;
    const { recordingId, serverCallId, callId } = await recordWithCallback();
    const [received] = callbacks.received.slice(before);
    expect(received!.headers['content-type']).toBe('application/json');
    const source = `calling/recordings/${serverCallId}/recordingId/${recordingId}/RecordingStateChanged`;
    expect(received!.body).toEqual([
      {
        id: expect.any(String),
        source,
        subject: source,
        type: 'Microsoft.Communication.RecordingStateChanged',
        data: {
          recordingId,
          state: 'active',
          startDateTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          recordingKind: 'azureCommunicationServices',
          serverCallId,
          correlationId: callId,
        },
        time: expect.any(String),
        specversion: '1.0',
        datacontenttype: 'application/json',
      },
    ]);
    expect((await verify(bearer(received!.headers.authorization))).aud).toBe(emulator.immutableResourceId);
  });

  it.each<[CallbackAuthMode, string | undefined]>([
    ['none', undefined],
    ['expired', 'ERR_JWT_EXPIRED'],
    ['foreignKey', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'],
    ['wrongAudience', 'ERR_JWT_CLAIM_VALIDATION_FAILED'],
  ])('setCallbackAuth(%s) sends what it says', async (mode, code) => {
    emulator.setCallbackAuth(mode);
    const before = callbacks.received.length;
    await recordWithCallback();
    const { authorization } = callbacks.received[before]!.headers;
    if (code === undefined) expect(authorization).toBeUndefined();
    else await expect(verify(bearer(authorization))).rejects.toMatchObject({ code });
  });

  it('makes a new token for every attempt', async () => {
    callbacks.script.push(500);
    const before = callbacks.received.length;
    await recordWithCallback();
    const tokens = callbacks.received.slice(before).map((r) => bearer(r.headers.authorization));
    expect(tokens).toHaveLength(2);
    const [first, second] = await Promise.all(tokens.map((token) => verify(token)));
    expect(first!.jti).not.toBe(second!.jti);
  });

  it("carries none of Event Grid's aeg-* headers, on any attempt (ACS sends callbacks itself)", async () => {
    callbacks.script.push(500);
    const before = callbacks.received.length;
    await recordWithCallback();
    const attempts = callbacks.received.slice(before);
    expect(attempts).toHaveLength(2);
    expect(attempts.map((r) => Object.keys(r.headers).filter((name) => name.startsWith('aeg-')))).toEqual([[], []]);
  });
});
