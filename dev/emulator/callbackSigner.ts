import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { CallbackAuthMode, CallbackTokenOptions } from './types';

/**
 * Signs Call Automation callbacks as ACS does. Microsoft documents (Learn, "How to secure webhook endpoint",
 * MicrosoftDocs/azure-docs articles/communication-services/how-tos/call-automation/includes/
 * secure-webhook-endpoint-javascript.md): every mid-call callback carries a signed JWT in `Authorization: Bearer`; its
 * keys come from the OpenID configuration at
 * https://acscallautomation.communication.azure.com/calling/.well-known/acsopenidconfiguration (issuer
 * `https://acscallautomation.communication.azure.com`, keys at `/calling/keys`), it is RS256, its audience is the
 * ACS resource's immutable id, it lives five minutes and a new one is made for every event.
 *
 * The emulator serves the same paths on its endpoint, with itself as issuer. Tokens are made with node:crypto alone
 * (the product validates with jose; the emulator must not share its code).
 */

export const OPENID_CONFIG_PATH = '/calling/.well-known/acsopenidconfiguration';
export const JWKS_PATH = '/calling/keys';
const LIFETIME_SECONDS = 300;

interface Jwk {
  kty: string;
  n?: string;
  e?: string;
  kid: string;
  use: string;
  alg: string;
}

/**
 * NOTE: RSA key generation takes about half a second, so the keys are made on first use and shared by every
 * emulator in the process; each emulator is still its own issuer, so one's tokens never pass for another's.
 */
const keys: { signing?: KeyObject; foreign?: KeyObject; kid?: string } = {};

function signingKey(): KeyObject {
  return (keys.signing ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
}

function foreignKey(): KeyObject {
  return (keys.foreign ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
}

export class CallbackSigner {
  /** `issuer` is the emulator's endpoint origin (no trailing slash), as Microsoft's issuer is its host's origin. */
  constructor(
    private readonly issuer: () => string,
    private readonly audience: string,
  ) {}

  /** The key id in the JWKS and in token headers (a thumbprint of the public key). */
  get kid(): string {
    if (keys.kid === undefined) {
      const { n, e } = signingKey().export({ format: 'jwk' });
      keys.kid = createHash('sha256').update(`${n}.${e}`).digest('base64url').slice(0, 27);
    }
    return keys.kid;
  }

  openIdConfiguration(): object {
    const issuer = this.issuer();
    return {
      issuer,
      jwks_uri: `${issuer}${JWKS_PATH}`,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256'],
    };
  }

  jwks(): { keys: Jwk[] } {
    const { kty, n, e } = signingKey().export({ format: 'jwk' });
    return { keys: [{ kty: kty ?? 'RSA', n, e, kid: this.kid, use: 'sig', alg: 'RS256' }] };
  }

  token(opts: CallbackTokenOptions = {}): string {
    const lifetime = opts.expiresInSeconds ?? LIFETIME_SECONDS;
    const now = Math.floor(Date.now() / 1000);
    let iat = now;
    let exp = now + lifetime;
    if (opts.issuedAt) {
      iat = Math.floor(opts.issuedAt.getTime() / 1000);
      exp = iat + lifetime;
    } else if (lifetime < 0) {
      iat = exp - LIFETIME_SECONDS; // an expired token was issued one lifetime before it expired
    }
    const header = { alg: 'RS256', typ: 'JWT', kid: opts.kid ?? this.kid };
    const payload = { iss: this.issuer(), aud: opts.audience ?? this.audience, iat, nbf: iat, exp, jti: randomUUID() };
    const signingInput = `${encode(header)}.${encode(payload)}`;
    const signature = sign('sha256', Buffer.from(signingInput), opts.foreignKey ? foreignKey() : signingKey());
    return `${signingInput}.${signature.toString('base64url')}`;
  }

  /** The Authorization header of a callback in this mode (a fresh token per attempt), or undefined for 'none'. */
  authorization(mode: CallbackAuthMode): string | undefined {
    switch (mode) {
      case 'none':
        return undefined;
      case 'expired':
        return `Bearer ${this.token({ issuedAt: new Date(Date.now() - 2 * LIFETIME_SECONDS * 1000) })}`;
      case 'foreignKey':
        return `Bearer ${this.token({ foreignKey: true })}`;
      case 'wrongAudience':
        return `Bearer ${this.token({ audience: randomUUID() })}`;
      case 'valid':
        return `Bearer ${this.token()}`;
    }
  }
}

function encode(part: object): string {
  return Buffer.from(JSON.stringify(part), 'utf8').toString('base64url');
}
