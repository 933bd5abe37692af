import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { CallbackTokenValidator } from '../../../../shared/security/callbackToken';
import { CallerRefusedError } from '../../../../shared/security/callerRefused';
import { RetryableError } from '../../../../shared/errors';

/**
 * The validator against a real OpenID configuration and JWKS served over HTTP, in the shape Microsoft publishes at
 * https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration (issuer
 * https://acscallautomation.communication.azure.com, jwks_uri .../calling/keys), with keys made here.
 */

const ISSUER = 'https://acscallautomation.communication.azure.com';
// An immutable resource id has the form of a GUID (the audience of Call Automation tokens).
const AUDIENCE = '5e2d7c4a-1b3f-4d6e-8a9b-0c1d2e3f4a5b';
/** An issuer with a character of two UTF-8 bytes, served split between them. */
const SPLIT_ISSUER = 'https://acscallautomation.communication.azure.com/ü';

interface Signer {
  kid: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function newSigner(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

let server: Server;
let base: string;
let published: Signer[] = [];
let requests: string[] = [];
let signer: Signer;
let foreign: Signer;
let configStatus = 200;

beforeAll(async () => {
  signer = await newSigner('acs-key-1');
  foreign = await newSigner('acs-key-1'); // same kid, another key: a forger's guess
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/calling/.well-known/acsopenidconfiguration') {
      res.writeHead(configStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ issuer: ISSUER, jwks_uri: `${base}/calling/keys` }));
    } else if (req.url === '/split/.well-known/acsopenidconfiguration') {
      // The body in two pieces, cut inside the two bytes of the issuer's 'ü'.
      const body = Buffer.from(JSON.stringify({ issuer: SPLIT_ISSUER, jwks_uri: `${base}/calling/keys` }));
      const cut = body.indexOf(Buffer.from('ü')) + 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(body.subarray(0, cut), () => setTimeout(() => res.end(body.subarray(cut)), 50));
    } else if (req.url === '/calling/keys') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: published.map((s) => s.jwk) }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  published = [signer];
  requests = [];
  configStatus = 200;
});

const NOW = new Date('2026-03-01T10:00:00Z');
const nowSeconds = NOW.getTime() / 1000;

function validator(overrides: Partial<ConstructorParameters<typeof CallbackTokenValidator>[0]> = {}) {
  return new CallbackTokenValidator({
    openIdConfigUrl: new URL(`${base}/calling/.well-known/acsopenidconfiguration`),
    audience: AUDIENCE,
    now: () => NOW,
    ...overrides,
  });
}

async function token(
  by: Signer,
  claims: { aud?: string; iss?: string; iat?: number; exp?: number } = {},
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: by.kid, typ: 'JWT' })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt(claims.iat ?? nowSeconds - 10)
    .setExpirationTime(claims.exp ?? nowSeconds + 290)
    .sign(by.privateKey);
}

async function refusal(promise: Promise<unknown>): Promise<CallerRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallerRefusedError);
  return error as CallerRefusedError;
}

describe('CallbackTokenValidator', () => {
  it('accepts a valid token, and fetches the configuration and keys once for many tokens', async () => {
    const v = validator();
    const first = await token(signer);
    await expect(v.verify(`Bearer ${first}`)).resolves.toEqual({
      tokenSha256: createHash('sha256').update(first).digest('hex'),
      expiresAt: new Date((nowSeconds + 290) * 1000),
    });
    await expect(v.verify(`bearer ${await token(signer)}`)).resolves.toMatchObject({ tokenSha256: expect.any(String) });
    expect(requests).toEqual(['/calling/.well-known/acsopenidconfiguration', '/calling/keys']);
  });

  it('refuses a request without a token', async () => {
    const v = validator();
    for (const header of [undefined, null, '', 'Basic dXNlcjpwYXNz', 'Bearer ']) {
      const error = await refusal(v.verify(header));
      expect(error).toMatchObject({ status: 401, code: 'MissingToken' });
    }
    expect(requests).toEqual([]); // nothing fetched for a request that has no token
  });

  it('refuses a token signed by a foreign key, whatever kid it claims', async () => {
    const v = validator();
    const error = await refusal(v.verify(`Bearer ${await token(foreign)}`));
    expect(error).toMatchObject({
      status: 401,
      code: 'InvalidToken',
      message: 'the Call Automation token is not valid: bad signature',
    });
    const stranger = await newSigner('made-up-kid');
    const unknown = await refusal(v.verify(`Bearer ${await token(stranger)}`));
    expect(unknown.message).toBe('the Call Automation token is not valid: signed with an unknown key');
  });

  it('refuses an expired token', async () => {
    const expired = await token(signer, { iat: nowSeconds - 600, exp: nowSeconds - 300 });
    const error = await refusal(validator().verify(`Bearer ${expired}`));
    expect(error.message).toBe('the Call Automation token is not valid: expired');
  });

  it('refuses a token issued more than five minutes ago, even if it claims a longer life', async () => {
    const old = await token(signer, { iat: nowSeconds - 400, exp: nowSeconds + 3600 });
    const error = await refusal(validator().verify(`Bearer ${old}`));
    expect(error).toMatchObject({ code: 'TokenTooOld' });
  });

  it('refuses a token without iat (its age could not be held to the five-minute lifetime)', async () => {
    const noIat = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: signer.kid, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime(nowSeconds + 290)
      .sign(signer.privateKey);
    const error = await refusal(validator().verify(`Bearer ${noIat}`));
    expect(error).toMatchObject({ status: 401, code: 'InvalidToken' });
    expect(error.message).toContain('iat');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    const v = validator();
    const wrongAudience = await token(signer, { aud: '00000000-0000-0000-0000-000000000000' });
    expect((await refusal(v.verify(`Bearer ${wrongAudience}`))).message).toBe(
      'the Call Automation token is not valid: wrong audience',
    );
    const wrongIssuer = await token(signer, { iss: 'https://evil.example' });
    expect((await refusal(v.verify(`Bearer ${wrongIssuer}`))).message).toBe(
      'the Call Automation token is not valid: wrong issuer',
    );
  });

  it('accepts only RS256 (no algorithm confusion with a symmetric key)', async () => {
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'acs-key-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 60)
      .sign(new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!'));
    expect((await refusal(validator().verify(`Bearer ${hs}`))).message).toBe(
      'the Call Automation token is not valid: algorithm not allowed (RS256 only)',
    );
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: nowSeconds + 60 }),
    ).toString('base64url')}.`;
    expect((await refusal(validator().verify(`Bearer ${unsigned}`))).status).toBe(401);
  });

  it('takes the audience setting in any case (the immutable id is a GUID)', async () => {
    const v = validator({ audience: AUDIENCE.toUpperCase() });
    await expect(v.verify(`Bearer ${await token(signer)}`)).resolves.toMatchObject({ tokenSha256: expect.any(String) });
  });

  it('fetches the keys again for an unknown kid (key rotation), but not more often than the cooldown', async () => {
    let now = NOW;
    const v = validator({ now: () => now, refetchCooldownMs: 30_000 });
    await v.verify(`Bearer ${await token(signer)}`);
    const rotated = await newSigner('acs-key-2');
    published = [signer, rotated];
    requests = [];
    // Within the cooldown: the unknown kid is refused without a fetch (a flood of made-up kids costs nothing).
    await refusal(v.verify(`Bearer ${await token(rotated)}`));
    expect(requests).toEqual([]);
    now = new Date(NOW.getTime() + 31_000);
    await expect(v.verify(`Bearer ${await token(rotated, { iat: nowSeconds + 30 })}`)).resolves.toMatchObject({
      tokenSha256: expect.any(String),
    });
    expect(requests).toEqual(['/calling/.well-known/acsopenidconfiguration', '/calling/keys']);
  });

  it('asks for a retry (not a 401) when the keys cannot be read', async () => {
    configStatus = 503;
    const error = await validator()
      .verify(`Bearer ${await token(signer)}`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'CallbackKeysUnavailable' });
  });

  it('reads a configuration whose multibyte character arrives split across two pieces', async () => {
    const v = validator({ openIdConfigUrl: new URL(`${base}/split/.well-known/acsopenidconfiguration`) });
    await expect(v.verify(`Bearer ${await token(signer, { iss: SPLIT_ISSUER })}`)).resolves.toMatchObject({
      tokenSha256: expect.any(String),
    });
  });

  it('never puts the token in its messages', async () => {
    const forged = await token(foreign);
    const error = await refusal(validator().verify(`Bearer ${forged}`));
    expect(error.message).not.toContain(forged.slice(0, 20));
  });
});
