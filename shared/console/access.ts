import { ConfigError } from '../errors';
import { CallerRefusedError } from '../security';

/**
 * Who is using the console, and what they may do. Two ways in, chosen by CONSOLE_AUTH:
 *
 * - `platform` (the default, and the only one in Azure): App Service built-in authentication (Microsoft Entra ID) sits
 *   in front of the app and passes the signed-in principal as `x-ms-client-principal`, base64 JSON
 *   `{auth_typ, name_typ, role_typ, claims: [{typ, val}]}` (https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities).
 *   App Service removes that header from incoming requests only while authentication is on, which it announces to the
 *   app as WEBSITE_AUTH_ENABLED=True; without it anyone could send the header, so it is then not read at all. The
 *   caller's app roles come from the claims named by `role_typ`: `Recordings.Read` to browse and play,
 *   `Recordings.Export` to download.
 * - `function-key`, for this machine only: the local host has already checked the function key, and the holder of
 *   it may do everything. Refused wherever App Service runs the app (WEBSITE_INSTANCE_ID), so the function key alone
 *   never opens the console in Azure.
 */

export type ConsoleRole = 'Recordings.Read' | 'Recordings.Export';
export const CONSOLE_ROLES: readonly ConsoleRole[] = ['Recordings.Read', 'Recordings.Export'];

export interface ConsoleCaller {
  /** Who, as the audit records say it: the principal's name and object id, or `local (function key)`. */
  who: string;
  via: 'entra' | 'function-key';
  roles: ReadonlySet<ConsoleRole>;
}

export type ConsoleAuthMode = 'platform' | 'function-key';
type Env = Readonly<Record<string, string | undefined>>;

export function readConsoleAuth(env: Env): ConsoleAuthMode {
  const value = (env.CONSOLE_AUTH ?? '').trim().toLowerCase();
  if (value === '' || value === 'platform') return 'platform';
  if (value !== 'function-key') {
    throw new ConfigError(
      'CONSOLE_AUTH',
      `must be platform (the default) or function-key, not "${value.slice(0, 40)}"`,
    );
  }
  if (env.WEBSITE_INSTANCE_ID) {
    throw new ConfigError(
      'CONSOLE_AUTH',
      'function-key is for local runs only: in Azure the console needs App Service authentication (platform)',
    );
  }
  return 'function-key';
}

const OBJECT_ID_CLAIMS = ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid'];
const MAX_PRINCIPAL_HEADER = 64 * 1024;

function refused(code: string, message: string): CallerRefusedError {
  return new CallerRefusedError(403, code, message, 'x-ms-client-principal');
}

/** The caller of a console request; a CallerRefusedError (403) when there is none the console accepts. */
export function consoleCaller(header: (name: string) => string | null | undefined, env: Env): ConsoleCaller {
  if (readConsoleAuth(env) === 'function-key') {
    return { who: 'local (function key)', via: 'function-key', roles: new Set(CONSOLE_ROLES) };
  }
  if ((env.WEBSITE_AUTH_ENABLED ?? '').toLowerCase() !== 'true') {
    throw refused(
      'ConsoleAuthenticationOff',
      'the console needs App Service authentication (Microsoft Entra ID) in front of the app; see docs/console.md',
    );
  }
  const raw = header('x-ms-client-principal');
  if (!raw) throw refused('NotSignedIn', 'sign in first: /.auth/login/aad');
  if (raw.length > MAX_PRINCIPAL_HEADER) throw refused('PrincipalUnreadable', 'x-ms-client-principal is too long');
  let principal: unknown;
  try {
    principal = JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
  } catch {
    throw refused('PrincipalUnreadable', 'x-ms-client-principal is not base64 JSON');
  }
  const { claims, name_typ: nameType, role_typ: roleType } = (principal ?? {}) as Record<string, unknown>;
  if (!Array.isArray(claims)) throw refused('PrincipalUnreadable', 'x-ms-client-principal has no claims');
  const valuesOf = (types: readonly unknown[]) =>
    (claims as unknown[])
      .filter((c): c is { typ: string; val: string } => {
        const claim = (c ?? {}) as { typ?: unknown; val?: unknown };
        return typeof claim.typ === 'string' && typeof claim.val === 'string';
      })
      .filter((c) => types.includes(c.typ))
      .map((c) => c.val);
  // NOTE: Entra's tokens carry app roles as `roles`; App Service maps them to role_typ (the long
  // .../identity/claims/role URI), so both are read.
  const roles = new Set(
    valuesOf([roleType, 'roles']).filter((r): r is ConsoleRole => (CONSOLE_ROLES as string[]).includes(r)),
  );
  const name = valuesOf([nameType, 'name', 'preferred_username'])[0] ?? header('x-ms-client-principal-name') ?? '';
  const objectId = valuesOf(OBJECT_ID_CLAIMS)[0] ?? header('x-ms-client-principal-id') ?? '';
  if (!name && !objectId) throw refused('PrincipalUnreadable', 'x-ms-client-principal names nobody');
  return { who: `${name.slice(0, 200)} (${objectId.slice(0, 64)})`, via: 'entra', roles };
}

/** Refuses (403) a caller without `role`. */
export function requireRole(caller: ConsoleCaller, role: ConsoleRole): void {
  if (!caller.roles.has(role)) {
    throw refused('RoleMissing', `this needs the app role ${role}; ask the app's owner to assign it to you`);
  }
}
