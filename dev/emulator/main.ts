import { startEmulator } from './index';

/**
 * Runs the ACS emulator standalone: `node dist/dev/emulator/main.js`. Ports and webhooks come from the environment:
 * ACS_EMULATOR_PORT (8443), ACS_EMULATOR_STORAGE_PORT (8444), ACS_EMULATOR_REGIONAL_PORT (8445),
 * ACS_EMULATOR_RETENTION_SECONDS (86400), ACS_EMULATOR_EVENT_SCHEMA (EventGrid | CloudEvents),
 * ACS_EMULATOR_EVENT_FORM (ga | 2021), ACS_EMULATOR_RECORDING_FILES_WEBHOOKS and ACS_EMULATOR_CALL_EVENTS_WEBHOOKS
 * (comma-separated URLs).
 */

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

function listFrom(name: string): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function main(): Promise<void> {
  const schema = process.env.ACS_EMULATOR_EVENT_SCHEMA === 'CloudEvents' ? 'CloudEvents' : 'EventGrid';
  const form = process.env.ACS_EMULATOR_EVENT_FORM === '2021' ? '2021' : 'ga';
  const emulator = await startEmulator({
    port: numberFrom('ACS_EMULATOR_PORT', 8443),
    storagePort: numberFrom('ACS_EMULATOR_STORAGE_PORT', 8444),
    regionalPort: numberFrom('ACS_EMULATOR_REGIONAL_PORT', 8445),
    retentionSeconds: numberFrom('ACS_EMULATOR_RETENTION_SECONDS', 86400),
    eventSchema: schema,
    eventForm: form,
    webhooks: {
      recordingFiles: listFrom('ACS_EMULATOR_RECORDING_FILES_WEBHOOKS'),
      callEvents: listFrom('ACS_EMULATOR_CALL_EVENTS_WEBHOOKS'),
    },
    log: (line) => console.log(line),
  });
  console.log(
    [
      'ACS emulator running',
      `  control API + 2021 downloads  ${emulator.endpoint}`,
      `  storage host (locations)      ${emulator.storageOrigin}`,
      `  regional host (302 target)    ${emulator.regionalOrigin}`,
      `  ACS_CONNECTION_STRING=${emulator.connectionString}`,
      `  events: ${schema} schema, ${form} form`,
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
  const shutdown = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  console.error(`ACS emulator failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
