import { consoleCaller, readConsoleAuth, requireRole } from '../../../../shared/console';

/** Who may use the console: App Service authentication's principal and its app roles, or the key on this machine. */

const ROLE_TYPE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
const NAME_TYPE = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';

/** The principal as Learn documents it: base64 JSON `{auth_typ, claims: [{typ, val}], name_typ, role_typ}`. */
function principal(claims: Array<[string, string]>): string {
  const body = {
    auth_typ: 'aad',
    name_typ: NAME_TYPE,
    role_typ: ROLE_TYPE,
    claims: claims.map(([typ, val]) => ({ typ, val })),
  };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
}
const headers = (values: Record<string, string>) => (name: string) => values[name] ?? null;
const azure = { WEBSITE_AUTH_ENABLED: 'True', WEBSITE_INSTANCE_ID: 'abc' };

describe('the console caller', () => {
  it('reads the name, object id and app roles from the platform principal', () => {
    const caller = consoleCaller(
      headers({
        'x-ms-client-principal': principal([
          [NAME_TYPE, 'reviewer@contoso.com'],
          ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid-1'],
          [ROLE_TYPE, 'Recordings.Read'],
          [ROLE_TYPE, 'Something.Else'],
        ]),
      }),
      azure,
    );
    expect(caller).toEqual({ who: 'reviewer@contoso.com (oid-1)', via: 'entra', roles: new Set(['Recordings.Read']) });
    expect(() => requireRole(caller, 'Recordings.Read')).not.toThrow();
    expect(() => requireRole(caller, 'Recordings.Export')).toThrow(
      expect.objectContaining({ status: 403, code: 'RoleMissing' }),
    );
  });

  it('refuses (403) a request without a principal, or with one it cannot read', () => {
    expect(() => consoleCaller(headers({}), azure)).toThrow(
      expect.objectContaining({ status: 403, code: 'NotSignedIn' }),
    );
    expect(() => consoleCaller(headers({ 'x-ms-client-principal': 'not base64 json' }), azure)).toThrow(
      expect.objectContaining({ status: 403, code: 'PrincipalUnreadable' }),
    );
  });

  it('never reads the header while App Service authentication is off: anyone could send it then', () => {
    const forged = headers({
      'x-ms-client-principal': principal([
        [NAME_TYPE, 'me'],
        [ROLE_TYPE, 'Recordings.Read'],
      ]),
    });
    expect(() => consoleCaller(forged, { WEBSITE_INSTANCE_ID: 'abc' })).toThrow(
      expect.objectContaining({ status: 403, code: 'ConsoleAuthenticationOff' }),
    );
  });

  it('lets the function key open the console only off Azure', () => {
    const local = consoleCaller(headers({}), { CONSOLE_AUTH: 'function-key' });
    expect(local).toMatchObject({ via: 'function-key', roles: new Set(['Recordings.Read', 'Recordings.Export']) });
    expect(() => readConsoleAuth({ CONSOLE_AUTH: 'function-key', WEBSITE_INSTANCE_ID: 'abc' })).toThrow(/CONSOLE_AUTH/);
    expect(() => readConsoleAuth({ CONSOLE_AUTH: 'open' })).toThrow(/CONSOLE_AUTH/);
    expect(readConsoleAuth({})).toBe('platform');
  });
});
