import type { DoctorTarget, FunctionsView, Maybe } from './target';
import { probe } from './probe';

/**
 * The `npm start` stack as doctor sees it: the local Functions host (its admin API lists the functions and the errors
 * of those in error, as the real host's /admin/functions/NAME/status does) and the settings doctor runs with, which
 * are the app's when both read the same environment and local.settings.json. There is no Resource Manager here: Event
 * Grid, role assignments and alerts are unavailable, with the reason.
 */
export function createLocalTarget(appUrl: URL, settings: Readonly<Record<string, string | undefined>>): DoctorTarget {
  const adminHeaders = masterKeyHeader(settings);
  return {
    kind: 'local',
    appUrl,
    async appSettings() {
      const values: Record<string, string> = {};
      for (const [key, value] of Object.entries(settings)) if (value !== undefined) values[key] = value;
      return values;
    },
    async functions(): Promise<Maybe<FunctionsView>> {
      const status = await probe(new URL('/admin/host/status', appUrl), { headers: adminHeaders });
      if (status.status === 401) {
        return { unavailable: "the local host's admin API needs its master key (LOCAL_HOST_KEYS with a master key)" };
      }
      if (status.status !== 200) return { unavailable: `the local host's admin API answered ${status.describe}` };
      const names = (JSON.parse(status.body) as { functions?: unknown }).functions;
      const list = Array.isArray(names) ? names.filter((n): n is string => typeof n === 'string') : [];
      const errors: Record<string, string[]> = {};
      for (const name of list) {
        const answer = await probe(new URL(`/admin/functions/${encodeURIComponent(name)}/status`, appUrl), {
          headers: adminHeaders,
        });
        if (answer.status !== 200) continue;
        const found = (JSON.parse(answer.body) as { errors?: unknown }).errors;
        if (Array.isArray(found) && found.length > 0) errors[name] = found.map(String);
      }
      return { names: list, errors };
    },
    eventSubscriptions: async () => ({
      unavailable:
        'there is no Event Grid locally: the ACS emulator posts call events and recording files straight to the ' +
        'host (npm start gives it /api/call-events and the archiveRecording webhook)',
    }),
    webhookUrl: async () => ({ unavailable: 'there is no Event Grid locally' }),
    acsRoleAssignments: async () => ({ unavailable: 'there are no role assignments locally' }),
    alertRules: async () => ({ unavailable: 'there is no Azure Monitor locally' }),
  };
}

/** The master key of LOCAL_HOST_KEYS, when the local host enforces keys (its admin API then needs it). */
function masterKeyHeader(settings: Readonly<Record<string, string | undefined>>): Record<string, string> {
  try {
    const keys = JSON.parse(settings.LOCAL_HOST_KEYS ?? '{}') as { master?: unknown };
    return typeof keys.master === 'string' && keys.master ? { 'x-functions-key': keys.master } : {};
  } catch {
    return {};
  }
}
