import { fail, pass, skip, type Check } from '../check';
import { isUnavailable } from '../target';

/**
 * The alerts docs/operations.md lists, deployed (infra/app/alerts.bicep names them `alert-archiver-<name>-<suffix>`)
 * and enabled: a disabled dead-letter alert is how a stale key goes unseen.
 */
const EXPECTED_ALERTS = [
  'near-deadline',
  'recording-failed',
  'poison',
  'acs-access-denied',
  'dead-letters',
  'dropped-events',
] as const;

export const alerts: Check = {
  id: 'alerts',
  title: 'the alerts are deployed and enabled',
  async run({ target }) {
    const rules = await target.alertRules();
    if (isUnavailable(rules)) return skip(rules.unavailable);
    const ours = rules.filter((r) => r.name.startsWith('alert-archiver-'));
    const missing = EXPECTED_ALERTS.filter((name) => !ours.some((r) => r.name.startsWith(`alert-archiver-${name}-`)));
    const disabled = ours.filter((r) => !r.enabled).map((r) => r.name);
    if (missing.length > 0 || disabled.length > 0) {
      const parts = [
        ...(missing.length > 0 ? [`missing: ${missing.join(', ')}`] : []),
        ...(disabled.length > 0 ? [`disabled: ${disabled.join(', ')}`] : []),
      ];
      return fail(
        parts.join('; '),
        'azd provision deploys and enables them (or enable them in Monitor > Alerts > Alert rules)',
      );
    }
    return pass(`${ours.length} alert rules enabled`);
  },
};
