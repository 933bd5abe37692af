import type { errors as JoseErrors, JSONWebKeySet, JWTVerifyGetKey } from 'jose';

/**
 * NOTE: `jose` is loaded on the first callback to verify, not at cold start: most invocations (archive copies,
 * Event Grid system events) never need it.
 */
let joseModule: typeof import('jose') | undefined;
function jose(): typeof import('jose') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  joseModule ??= require('jose') as typeof import('jose');
  return joseModule;
}
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { PermanentError, RetryableError } from '../errors';
import { streamToText } from '../storage';
import { CallerRefusedError } from './callerRefused';

/**
 * Validation of the JWT that Call Automation puts in the Authorization header of every callback it sends
 * (CallConnected, CallDisconnected, RecordingStateChanged, StartRecordingFailed, ...). What Microsoft documents:
 * - "Each mid-call webhook callback sent by Call Automation uses a signed JSON Web Token (JWT) in the Authentication
 *   header ... The lifetime of the JWT is five minutes, and a new token is created for every event";
 * - issuer and keys come from the OpenID configuration
 *   https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration (issuer
 *   `https://acscallautomation.communication.azure.com`, keys at `.../calling/keys`);
 * - the audience is the ACS resource's (immutable) resource id; the algorithm is RS256; only OpenID Connect JWT
 *   validation is supported ("We do not support custom tokens or modified token formats").
 * Sources: https://learn.microsoft.com/en-us/azure/communication-services/how-tos/call-automation/secure-webhook-endpoint
 * and its includes in MicrosoftDocs/azure-docs
 * (articles/communication-services/how-tos/call-automation/includes/secure-webhook-endpoint-javascript.md, -csharp.md),
 * and the NuGet package CallAutomation.AspNetCore.Authentication.JwtBearer.
 */

export interface CallbackTokenOptions {
  /** ACS_CALLBACK_OPENID_CONFIG_URL. */
  openIdConfigUrl: URL;
  /** ACS_IMMUTABLE_RESOURCE_ID: the `aud` every token must carry. */
  audience: string;
  now?: () => Date;
  /** Per fetch of the configuration or the keys; default 5 s. */
  fetchTimeoutMs?: number;
  /** How long keys are used before they are fetched again; default 1 h (an unknown `kid` refetches sooner). */
  keysMaxAgeMs?: number;
  /** Minimum time between two fetches caused by unknown `kid`s (a flood of made-up kids cannot force a flood of fetches); default 30 s. */
  refetchCooldownMs?: number;
}

/** A token that passed every check: its SHA-256 and expiry (the replay guard binds it to its events). */
export interface VerifiedToken {
  tokenSha256: string;
  expiresAt: Date;
}

/** The documented token lifetime, plus the clock skew we allow either side. */
const MAX_TOKEN_AGE_SECONDS = 5 * 60;
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_CONFIG_BYTES = 64 * 1024;
const MAX_KEYS_BYTES = 256 * 1024;

interface KeySet {
  issuer: string;
  getKey: JWTVerifyGetKey;
  fetchedAt: number;
}

/** Checks `Authorization: Bearer <jwt>`; throws CallerRefusedError(401), or RetryableError when the keys are unreachable. */
export class CallbackTokenValidator {
  private keys: KeySet | undefined;
  private pending: Promise<KeySet> | undefined;
  private readonly now: () => Date;
  private readonly fetchTimeoutMs: number;
  private readonly keysMaxAgeMs: number;
  private readonly refetchCooldownMs: number;
  private readonly audiences: string[];

  constructor(private readonly options: CallbackTokenOptions) {
    this.now = options.now ?? (() => new Date());
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
    this.keysMaxAgeMs = options.keysMaxAgeMs ?? 60 * 60_000;
    this.refetchCooldownMs = options.refetchCooldownMs ?? 30_000;
    // NOTE: the immutable id is a GUID; a setting typed in another case must not refuse every callback.
    this.audiences = [...new Set([options.audience, options.audience.toLowerCase(), options.audience.toUpperCase()])];
  }

  /** Checks the token; returns when it expires and its SHA-256 (never the token), for the replay guard. */
  async verify(authorization: string | null | undefined): Promise<VerifiedToken> {
    const token = bearerToken(authorization);
    const tokenSha256 = createHash('sha256').update(token).digest('hex');
    let keys = await this.currentKeys();
    try {
      return { tokenSha256, expiresAt: await this.check(token, keys) };
    } catch (error) {
      if (!(error instanceof jose().errors.JWKSNoMatchingKey)) throw this.classify(error);
      // An unknown kid: the keys may have rotated. Fetch them again (not more often than the cooldown) and retry once.
      if (this.now().getTime() - keys.fetchedAt < this.refetchCooldownMs) throw this.classify(error);
      keys = await this.refresh();
      try {
        return { tokenSha256, expiresAt: await this.check(token, keys) };
      } catch (again) {
        throw this.classify(again);
      }
    }
  }

  /** The token's expiry, once it is valid. */
  private async check(token: string, keys: KeySet): Promise<Date> {
    const { payload } = await jose().jwtVerify(token, keys.getKey, {
      issuer: keys.issuer,
      audience: this.audiences,
      algorithms: ['RS256'],
      // NOTE: `iat` is required: without it the five-minute age check below could not hold a token to its lifetime.
      requiredClaims: ['exp', 'iat'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: this.now(),
    });
    // NOTE: Microsoft documents a five-minute lifetime. `exp` is checked above; a token issued longer ago than that
    // is refused too, so that a replayed token is useless after five minutes even if the issuer ever set a longer exp.
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    if (typeof payload.iat === 'number' && nowSeconds - payload.iat > MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) {
      throw new CallerRefusedError(
        401,
        'TokenTooOld',
        'the Call Automation token is older than five minutes',
        'Authorization',
      );
    }
    return new Date(payload.exp! * 1000);
  }

  private classify(error: unknown): Error {
    if (error instanceof CallerRefusedError || error instanceof RetryableError) return error;
    if (error instanceof jose().errors.JWKSInvalid) {
      return new RetryableError('CallbackKeysUnavailable', 'The Call Automation signing keys could not be read', {
        cause: error,
      });
    }
    if (error instanceof jose().errors.JOSEError) {
      return new CallerRefusedError(
        401,
        'InvalidToken',
        `the Call Automation token is not valid: ${reasonOf(error)}`,
        'Authorization',
      );
    }
    return new RetryableError('CallbackKeysUnavailable', 'The Call Automation token could not be checked', {
      cause: error,
    });
  }

  private async currentKeys(): Promise<KeySet> {
    if (this.keys && this.now().getTime() - this.keys.fetchedAt < this.keysMaxAgeMs) return this.keys;
    return this.refresh();
  }

  /** Fetches the OpenID configuration and its keys again (one fetch at a time, shared by concurrent callers). */
  private refresh(): Promise<KeySet> {
    this.pending ??= this.load()
      .then((keys) => {
        this.keys = keys;
        return keys;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  private async load(): Promise<KeySet> {
    const config = await this.fetchJson(this.options.openIdConfigUrl, MAX_CONFIG_BYTES, 'OpenID configuration');
    const issuer = (config as { issuer?: unknown }).issuer;
    const jwksUri = (config as { jwks_uri?: unknown }).jwks_uri;
    if (typeof issuer !== 'string' || issuer === '' || typeof jwksUri !== 'string') {
      throw new RetryableError(
        'CallbackKeysUnavailable',
        'The Call Automation OpenID configuration has no issuer or jwks_uri',
      );
    }
    let keysUrl: URL;
    try {
      keysUrl = new URL(jwksUri);
    } catch {
      throw new RetryableError(
        'CallbackKeysUnavailable',
        'The Call Automation OpenID configuration has an invalid jwks_uri',
      );
    }
    // NOTE: keys over plain http only when the configuration itself is (the local emulator), never as a downgrade.
    if (
      keysUrl.protocol !== 'https:' &&
      !(keysUrl.protocol === 'http:' && this.options.openIdConfigUrl.protocol === 'http:')
    ) {
      throw new RetryableError('CallbackKeysUnavailable', 'The Call Automation jwks_uri is not https');
    }
    const jwks = await this.fetchJson(keysUrl, MAX_KEYS_BYTES, 'signing keys');
    let getKey: JWTVerifyGetKey;
    try {
      getKey = jose().createLocalJWKSet(jwks as JSONWebKeySet);
    } catch (error) {
      throw new RetryableError('CallbackKeysUnavailable', 'The Call Automation signing keys are not a JWKS', {
        cause: error,
      });
    }
    return { issuer, getKey, fetchedAt: this.now().getTime() };
  }

  private async fetchJson(url: URL, maxBytes: number, what: string): Promise<unknown> {
    const unavailable = (detail: string, cause?: unknown) =>
      new RetryableError('CallbackKeysUnavailable', `The Call Automation ${what} could not be read: ${detail}`, {
        cause,
      });
    let text = '';
    try {
      const response = await request(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        headersTimeout: this.fetchTimeoutMs,
        bodyTimeout: this.fetchTimeoutMs,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw unavailable(`HTTP ${response.statusCode}`);
      }
      text = await streamToText(response.body, maxBytes);
    } catch (error) {
      if (error instanceof RetryableError) throw error;
      throw unavailable(error instanceof PermanentError ? error.message : (error as Error).name, error);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw unavailable('not JSON', error);
    }
  }
}

function bearerToken(authorization: string | null | undefined): string {
  const match = /^Bearer[ \t]+([A-Za-z0-9\-_.]+)[ \t]*$/i.exec(authorization ?? '');
  if (!match) {
    throw new CallerRefusedError(
      401,
      'MissingToken',
      'a Call Automation callback must carry its token in Authorization: Bearer',
      'Authorization',
    );
  }
  return match[1]!;
}

/** A short reason for the caller and the log; never the token or its claims. */
function reasonOf(error: InstanceType<typeof JoseErrors.JOSEError>): string {
  if (error instanceof jose().errors.JWTExpired) return 'expired';
  if (error instanceof jose().errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'wrong audience';
    if (error.claim === 'iss') return 'wrong issuer';
    return `claim ${error.claim} (${error.reason})`;
  }
  if (error instanceof jose().errors.JWKSNoMatchingKey) return 'signed with an unknown key';
  if (error instanceof jose().errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof jose().errors.JOSEAlgNotAllowed) return 'algorithm not allowed (RS256 only)';
  return 'malformed';
}
