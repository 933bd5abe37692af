import { startEmulator } from './index';

/**
 * Runs the ACS emulator standalone: `node dist-dev/dev/emulator/main.js`. Everything comes from the environment:
 * - ports: ACS_EMULATOR_PORT (8443), ACS_EMULATOR_STORAGE_PORT (8444), ACS_EMULATOR_REGIONAL_PORT (8445);
 * - webhooks (comma-separated URLs): ACS_EMULATOR_RECORDING_FILES_WEBHOOKS, ACS_EMULATOR_CALL_EVENTS_WEBHOOKS;
 * - events: ACS_EMULATOR_EVENT_SCHEMA (EventGrid | CloudEvents), ACS_EMULATOR_EVENT_FORM (ga | 2021 | byos),
 *   ACS_EMULATOR_CALL_EVENTS (system | callAutomation; default by schema);
 * - identity: ACS_EMULATOR_RESOURCE_ID (topic/source of its events), ACS_EMULATOR_IMMUTABLE_RESOURCE_ID (audience
 *   of its callback JWTs), ACS_EMULATOR_ENTRA_TOKENS (comma-separated bearer tokens it accepts; default none);
 * - ACS_EMULATOR_SERVER_CALL_ID_STYLE (base64 | base64url), ACS_EMULATOR_RETENTION_SECONDS (86400);
 * - ACS_EMULATOR_CUSTOMER_STORAGE (a Blob connection string, Azurite's): recordings started with `externalStorage`
 *   naming a container of that account are written into it (bring your own storage).
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

function oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = allowed.find((a) => a === raw);
  if (!value) throw new Error(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return value;
}

async function main(): Promise<void> {
  const schema = oneOf('ACS_EMULATOR_EVENT_SCHEMA', ['EventGrid', 'CloudEvents'] as const) ?? 'EventGrid';
  const form = oneOf('ACS_EMULATOR_EVENT_FORM', ['ga', '2021', 'byos'] as const) ?? 'ga';
  const callEvents = oneOf('ACS_EMULATOR_CALL_EVENTS', ['system', 'callAutomation'] as const);
  const serverCallIdStyle = oneOf('ACS_EMULATOR_SERVER_CALL_ID_STYLE', ['base64', 'base64url'] as const);
  const emulator = await startEmulator({
    port: numberFrom('ACS_EMULATOR_PORT', 8443),
    storagePort: numberFrom('ACS_EMULATOR_STORAGE_PORT', 8444),
    regionalPort: numberFrom('ACS_EMULATOR_REGIONAL_PORT', 8445),
    retentionSeconds: numberFrom('ACS_EMULATOR_RETENTION_SECONDS', 86400),
    eventSchema: schema,
    eventForm: form,
    ...(callEvents ? { callEvents } : {}),
    ...(serverCallIdStyle ? { serverCallIdStyle } : {}),
    ...(process.env.ACS_EMULATOR_RESOURCE_ID ? { resourceId: process.env.ACS_EMULATOR_RESOURCE_ID } : {}),
    ...(process.env.ACS_EMULATOR_IMMUTABLE_RESOURCE_ID
      ? { immutableResourceId: process.env.ACS_EMULATOR_IMMUTABLE_RESOURCE_ID }
      : {}),
    entraTokens: listFrom('ACS_EMULATOR_ENTRA_TOKENS'),
    ...(process.env.ACS_EMULATOR_CUSTOMER_STORAGE
      ? { customerStorage: { connectionString: process.env.ACS_EMULATOR_CUSTOMER_STORAGE } }
      : {}),
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
      `  ACS_RESOURCE_ID=${emulator.resourceId}`,
      `  ACS_IMMUTABLE_RESOURCE_ID=${emulator.immutableResourceId}`,
      `  ACS_CALLBACK_OPENID_CONFIG_URL=${emulator.openIdConfigUrl}`,
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
