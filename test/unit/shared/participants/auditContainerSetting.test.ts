import { loadConfig } from '../../../../shared/config';
import { ConfigError } from '../../../../shared/errors';

/** AUDIT_CONTAINER: audit records need a container of their own, never one the app rewrites or deletes in. */

const base = {
  ACS_CONNECTION_STRING: 'endpoint=https://example.communication.azure.com/;accesskey=a2V5',
  ARCHIVE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
};

describe('AUDIT_CONTAINER', () => {
  it('defaults to recording-audit and takes a valid container name', () => {
    expect(loadConfig(base).auditContainer).toBe('recording-audit');
    expect(loadConfig({ ...base, AUDIT_CONTAINER: 'audit-2026' }).auditContainer).toBe('audit-2026');
  });

  it.each([
    ['the control container', { AUDIT_CONTAINER: 'recording-control' }, /also CONTROL_CONTAINER/],
    ['the archive container', { AUDIT_CONTAINER: 'recordings' }, /also ARCHIVE_CONTAINER/],
    ['a renamed control container', { CONTROL_CONTAINER: 'ctl-a', AUDIT_CONTAINER: 'ctl-a' }, /also CONTROL_CONTAINER/],
    ['an invalid name', { AUDIT_CONTAINER: 'Audit_Records' }, /is not a valid container name/],
  ])('refuses %s, naming the setting', (_what, env, message) => {
    const error = (() => {
      try {
        loadConfig({ ...base, ...env });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/AUDIT_CONTAINER/);
    expect(error.message).toMatch(message);
  });
});
