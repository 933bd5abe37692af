import { logEvent, TELEMETRY_FIELDS, type TelemetryName } from '../../../shared/telemetry';
import type { Logger } from '../../../shared/logger';
import { propertyValue } from '../../helpers/infra/bicep';
import { BLOB_WRITE_OPERATIONS, STORAGE_BLOB_LOG_COLUMNS } from '../../helpers/infra/sources';
import {
  KQL_FILES,
  file,
  files,
  loadedTextFiles,
  propertiesOf,
  readInfra,
  readQuery,
  type Query,
} from '../../helpers/infra/templates';

/**
 * The alerts and the workbook read the app's telemetry lines (`Name {json}`, shared/telemetry.ts). These tests hold
 * every query in infra/monitoring/*.kql to the catalogue: the events it reads exist, every field it reads (`e.x`)
 * is a field of one of those events, and the recipe it parses a line with extracts that field from a line logEvent
 * really writes. Renaming a field in the app then fails here, not silently in a production alert.
 */

const EVENT_NAMES = Object.keys(TELEMETRY_FIELDS) as TelemetryName[];

/** The app's telemetry queries (traces); the storage-log queries read StorageBlobLogs and are checked apart. */
const allQueries = KQL_FILES.map(readQuery);
const queries = allQueries.filter((q) => !q.text.trim().startsWith('StorageBlobLogs'));
const storageQueries = allQueries.filter((q) => q.text.trim().startsWith('StorageBlobLogs'));
const byName = new Map(allQueries.map((q) => [q.path.replace('monitoring/', ''), q]));

function query(name: string): Query {
  const found = byName.get(name);
  if (!found) throw new Error(`infra/monitoring/${name} is missing`);
  return found;
}

/** A line exactly as the app writes it, every field of the event filled in. */
function realLine(name: TelemetryName): string {
  const lines: string[] = [];
  const logger = {
    info: (m: string) => lines.push(m),
    warn: (m: string) => lines.push(m),
    error: (m: string) => lines.push(m),
  };
  const fields = Object.fromEntries(TELEMETRY_FIELDS[name].map((field, i) => [field, i % 2 === 0 ? `v${i}` : i]));
  logEvent(logger as unknown as Logger, 'info', name, fields as never);
  return lines[0]!;
}

/** What the queries do to a line: `substring(message, indexof(message, "{"))`, then parse_json. */
function kqlParse(message: string): Record<string, unknown> {
  return JSON.parse(message.substring(message.indexOf('{'))) as Record<string, unknown>;
}

describe('monitoring queries (infra/monitoring/*.kql)', () => {
  test('the folder holds the alert and workbook queries, each loaded by a template', () => {
    expect(KQL_FILES.length).toBe(12);
    expect(storageQueries.map((q) => q.path)).toEqual(['monitoring/alert-chunk-overwrite.kql']);
    const loaded = new Set([...files.keys()].flatMap((path) => loadedTextFiles(path)));
    for (const path of KQL_FILES) expect({ path, loaded: loaded.has(path) }).toEqual({ path, loaded: true });
  });

  test('every query reads only events of the catalogue, and at least one', () => {
    for (const q of queries) {
      expect({ path: q.path, reads: q.events.length > 0 }).toEqual({ path: q.path, reads: true });
      for (const event of q.events)
        expect({ path: q.path, event, known: EVENT_NAMES.includes(event as TelemetryName) }).toEqual({
          path: q.path,
          event,
          known: true,
        });
    }
  });

  test('every field a query reads is a field of an event it reads', () => {
    for (const q of queries) {
      const allowed = new Set(
        q.events.flatMap((event) => TELEMETRY_FIELDS[event as TelemetryName] as readonly string[]),
      );
      for (const field of q.fields)
        expect({ path: q.path, field, logged: allowed.has(field) }).toEqual({ path: q.path, field, logged: true });
    }
  });

  test('every query parses the line the way logEvent writes it', () => {
    for (const q of queries) {
      if (q.fields.length === 0) continue;
      expect({
        path: q.path,
        parses: q.text.includes('parse_json(substring(message, indexof(message, "{")))'),
      }).toEqual({
        path: q.path,
        parses: true,
      });
      for (const event of q.events) {
        const line = realLine(event as TelemetryName);
        // `message startswith "Name {"` selects the line...
        expect(line.startsWith(`${event} {`)).toBe(true);
        // ...and the parse step yields the fields the query reads, when they belong to this event.
        const parsed = kqlParse(line);
        for (const field of q.fields.filter((f) =>
          (TELEMETRY_FIELDS[event as TelemetryName] as readonly string[]).includes(f),
        ))
          expect({ path: q.path, event, field, present: field in parsed }).toEqual({
            path: q.path,
            event,
            field,
            present: true,
          });
      }
    }
  });

  test('queries that name an event by `substring(message, 0, indexof(message, " {"))` get the event name', () => {
    for (const q of queries.filter((x) => x.text.includes('substring(message, 0, indexof(message, " {"))'))) {
      for (const event of q.events) {
        const line = realLine(event as TelemetryName);
        expect(line.substring(0, line.indexOf(' {'))).toBe(event);
      }
    }
  });

  test('the brackets and quotes of every query balance', () => {
    for (const q of allQueries) {
      const withoutStrings = q.text.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      for (const [open, close] of [
        ['(', ')'],
        ['[', ']'],
        ['{', '}'],
      ] as const) {
        const count = (c: string) => withoutStrings.split(c).length - 1;
        expect({ path: q.path, bracket: open, balanced: count(open) === count(close) }).toEqual({
          path: q.path,
          bracket: open,
          balanced: true,
        });
      }
      expect({ path: q.path, quotes: (q.text.match(/"/g) ?? []).length % 2 }).toEqual({ path: q.path, quotes: 0 });
    }
  });
});

describe('alerts (infra/app/alerts.bicep)', () => {
  const alerts = file('app/alerts.bicep');
  const logAlerts = alerts.vars.get('logAlerts') ?? '';

  /** name -> { file, dimensions } of each log alert, read from the logAlerts array. */
  const entries = [
    ...logAlerts.matchAll(
      /name: '([\w-]+)'[\s\S]*?query: [^\n]*monitoring\/([\w-]+\.kql)[\s\S]*?dimensions: \[([^\]]*)\]/g,
    ),
  ].map((m) => ({
    name: m[1]!,
    query: m[2]!,
    dimensions: [...m[3]!.matchAll(/'(\w+)'/g)].map((d) => d[1]!),
  }));

  test('the five log alerts: near deadline, recording failed, poison messages, ACS 401/403, a sender check off', () => {
    expect(entries.map((e) => [e.name, e.query])).toEqual([
      ['near-deadline', 'alert-near-deadline.kql'],
      ['recording-failed', 'alert-recording-failed.kql'],
      ['poison', 'alert-poison.kql'],
      ['acs-access-denied', 'alert-acs-access-denied.kql'],
      ['sender-check-off', 'alert-sender-check-off.kql'],
    ]);
    expect(query('alert-sender-check-off.kql').events).toEqual(['SenderCheckOff']);
    expect(query('alert-near-deadline.kql').events).toEqual(['ArchiveNearDeadline']);
    expect(query('alert-near-deadline.kql').fields).toContain('hoursLeft');
    expect(query('alert-recording-failed.kql').events).toEqual(['RecordingFailed']);
    expect(query('alert-poison.kql').events).toEqual(['ChunkPoisoned']);
    expect(query('alert-acs-access-denied.kql').events).toEqual(['AcsAccessDenied']);
    expect(query('alert-acs-access-denied.kql').text).toMatch(/where status in \(401, 403\)/);
  });

  test('every alert dimension is a column the query returns', () => {
    for (const entry of entries) {
      const lines = query(entry.query).text.trim().split('\n');
      const project = lines[lines.length - 1]!;
      expect(project).toMatch(/^\| project /);
      const columns = project
        .replace(/^\| project /, '')
        .split(',')
        .map((c) => c.trim());
      for (const dimension of entry.dimensions)
        expect({ alert: entry.name, dimension, returned: columns.includes(dimension) }).toEqual({
          alert: entry.name,
          dimension,
          returned: true,
        });
    }
  });

  test('the near-deadline threshold N is a parameter, prepended as `let nearDeadlineHours`', () => {
    expect(query('alert-near-deadline.kql').text).toMatch(/where hoursLeft <= nearDeadlineHours/);
    expect(logAlerts).toMatch(
      /query: 'let nearDeadlineHours = \$\{nearDeadlineHours\};\\n\$\{loadTextContent\('\.\.\/monitoring\/alert-near-deadline\.kql'\)\}'/,
    );
    expect(alerts.code).toMatch(/^param nearDeadlineHours int = 6$/m);
    const parameters = JSON.parse(readInfra('main.parameters.json')) as {
      parameters: Record<string, { value: string }>;
    };
    expect(parameters.parameters.alertNearDeadlineHours?.value).toBe('${ALERT_NEAR_DEADLINE_HOURS=6}');
  });

  test('log alerts query Application Insights every 5 minutes, stateful, to the e-mail action group', () => {
    const rule = alerts.resources.find((r) => r.type === 'Microsoft.Insights/scheduledQueryRules')!;
    const properties = propertiesOf(rule.body);
    expect(propertyValue(properties, 'scopes')).toMatch(/applicationInsights\.id/);
    expect(propertyValue(properties, 'evaluationFrequency')).toBe("'PT5M'");
    expect(propertyValue(properties, 'autoMitigate')).toBe('true');
    expect(propertyValue(properties, 'actions')).toBe('actions');
    expect(alerts.vars.get('actions')).toMatch(/actionGroup\.id/);
    const group = alerts.resources.find((r) => r.type === 'Microsoft.Insights/actionGroups')!;
    expect(propertyValue(propertiesOf(group.body), 'emailReceivers')).toMatch(/emailAddress:\s*alertEmailAddress/);
  });

  test("dead letters are alerted from the system topic's metrics (the app never sees them)", () => {
    const topicAlerts = alerts.vars.get('topicAlerts') ?? '';
    expect([...topicAlerts.matchAll(/metricName: '(\w+)'/g)].map((m) => m[1])).toEqual([
      'DeadLetteredCount',
      'DroppedEventCount',
    ]);
    const rule = alerts.resources.find((r) => r.type === 'Microsoft.Insights/metricAlerts')!;
    const properties = propertiesOf(rule.body);
    expect(propertyValue(properties, 'scopes')).toMatch(/systemTopicId/);
    expect(propertyValue(properties, 'criteria')).toMatch(/metricNamespace: 'Microsoft\.EventGrid\/systemTopics'/);
    const main = file('main.bicep');
    const module = main.modules.find((m) => m.symbol === 'alerts')!;
    expect(propertyValue(propertyValue(module.body, 'params')!, 'systemTopicId')).toBe(
      'createSystemTopic ? systemTopic.outputs.id : existingSystemTopic.id',
    );
  });
});

describe('workbook (infra/app/workbook.bicep)', () => {
  const workbook = file('app/workbook.bicep');

  test('its tiles are the six workbook queries, over Application Insights with the time range picker', () => {
    expect(loadedTextFiles('app/workbook.bicep')).toEqual([
      'monitoring/workbook-archives-by-status.kql',
      'monitoring/workbook-oldest-pending.kql',
      'monitoring/workbook-throughput.kql',
      'monitoring/workbook-ack-latency.kql',
      'monitoring/workbook-failures.kql',
      'monitoring/workbook-recording-control.kql',
    ]);
    const items = workbook.vars.get('queryItems') ?? '';
    expect(items).toMatch(/timeContextFromParameter: 'TimeRange'/);
    expect(items).toMatch(/resourceType: 'microsoft\.insights\/components'/);
    const resource = workbook.resources.find((r) => r.type === 'Microsoft.Insights/workbooks')!;
    expect(propertyValue(resource.body, 'name')).toMatch(/^guid\(/);
    expect(propertyValue(propertiesOf(resource.body), 'serializedData')).toBe('string(workbook)');
  });

  /** name, query file and visualization of each tile, read from the tiles array. */
  const tiles = [
    ...(workbook.vars.get('tiles') ?? '').matchAll(
      /name: '([\w-]+)'[\s\S]*?loadTextContent\('\.\.\/monitoring\/([\w-]+\.kql)'\)[\s\S]*?visualization: '(\w+)'/g,
    ),
  ].map((m) => ({ name: m[1]!, query: m[2]!, visualization: m[3]! }));

  test('every tile draws what its query returns: a timechart plots numbers over timestamp, a datetime goes in a grid', () => {
    expect(tiles.length).toBe(6);
    for (const tile of tiles) {
      expect(['table', 'timechart', 'barchart', 'piechart']).toContain(tile.visualization);
      const text = query(tile.query).text;
      if (tile.visualization === 'timechart' || tile.visualization === 'barchart') {
        // Over time: binned by timestamp, and no datetime column beside it (a chart cannot draw one).
        expect({ tile: tile.name, overTime: /by bin\(timestamp, \w+\)/.test(text) }).toEqual({
          tile: tile.name,
          overTime: true,
        });
        expect({ tile: tile.name, datetime: /todatetime\(/.test(text) }).toEqual({ tile: tile.name, datetime: false });
      }
    }
    // The oldest deadline (a datetime) is shown in a grid, newest sweep first, beside the hours left.
    const oldest = tiles.find((t) => t.name === 'oldest-pending')!;
    expect(oldest.visualization).toBe('table');
    const text = query(oldest.query).text;
    expect(text).toMatch(/oldestDeadline = todatetime\(e\.oldestDeadline\)/);
    expect(text).toMatch(/\| order by timestamp desc\s*$/);
    expect(text).toMatch(/\| project timestamp, pending, oldestDeadline, minHoursLeft\b/);
  });

  test('it shows what the operators need: status, oldest pending vs deadline, throughput, ack latency, failures, starts and stops', () => {
    expect(query('workbook-archives-by-status.kql').events.sort()).toEqual([
      'ArchiveAcknowledged',
      'RecordingComplete',
      'RecordingFailed',
    ]);
    expect(query('workbook-oldest-pending.kql').fields).toEqual(
      expect.arrayContaining(['oldestDeadline', 'minHoursLeft']),
    );
    expect(query('workbook-throughput.kql').fields).toEqual(expect.arrayContaining(['mbps', 'bytes']));
    expect(query('workbook-ack-latency.kql').fields).toContain('ackMs');
    expect(query('workbook-failures.kql').fields).toEqual(['failureCode']);
    // Every event that carries a failureCode is counted there.
    const withFailureCode = EVENT_NAMES.filter((n) =>
      (TELEMETRY_FIELDS[n] as readonly string[]).includes('failureCode'),
    );
    expect(query('workbook-failures.kql').events.sort()).toEqual(withFailureCode.sort());
    expect(query('workbook-recording-control.kql').events).toEqual(
      expect.arrayContaining(['RecordingStarted', 'RecordingStopped']),
    );
  });
});

describe('the chunk-overwrite alert (infra/app/archive-alerts.bicep over StorageBlobLogs)', () => {
  const q = query('alert-chunk-overwrite.kql');
  const alertsFile = file('app/archive-alerts.bicep');
  const rule = alertsFile.resources.find((r) => r.type === 'Microsoft.Insights/scheduledQueryRules')!;
  const properties = propertiesOf(rule.body);

  /** Words in the query that look like columns (capitalised identifiers), less KQL's own words and its lets. */
  const code = q.text.replace(/@?"(?:[^"\\]|\\.)*"/g, '""');
  const columnsRead = [...new Set([...code.matchAll(/\b([A-Z][A-Za-z]+)\b/g)].map((m) => m[1]!))].filter(
    (w) => w !== 'StorageBlobLogs',
  );

  test('reads only published StorageBlobLogs columns, successful writes of chunk blobs, through a condition or another identity', () => {
    for (const column of columnsRead)
      expect({ column, published: STORAGE_BLOB_LOG_COLUMNS.has(column) }).toEqual({ column, published: true });
    const operations = [...(/OperationName in \(([^)]*)\)/.exec(q.text)?.[1] ?? '').matchAll(/"(\w+)"/g)].map(
      (m) => m[1]!,
    );
    expect(new Set(operations)).toEqual(BLOB_WRITE_OPERATIONS);
    expect(q.text).toMatch(/Category == "StorageWrite"/);
    expect(q.text).toMatch(/StatusText == "Success"/);
    // The app's own writes are conditional and its own: anything else is an overwrite.
    expect(q.text).toMatch(/ConditionsUsed has "If-None-Match=\*"/);
    expect(q.text).toMatch(/where not\(conditional\) or RequesterObjectId != appPrincipalId/);
  });

  test("the chunk name pattern matches the archive's chunk blobs, media and metadata, and nothing else", () => {
    const pattern = new RegExp(/matches regex @"([^"]+)"/.exec(q.text)![1]!);
    for (const key of [
      '/starcabc/recordings/call-1/20260512T101500Z-1a2b3c4d/chunk-0000.mp4',
      '/starcabc/recordings-worm/call-1/20260512T101500Z-1a2b3c4d/chunk-0012.metadata.json',
      '/starcabc/recordings/call-1/20260512T101500Z-1a2b3c4d/chunk-0003.bin',
    ])
      expect({ key, matched: pattern.test(key) }).toEqual({ key, matched: true });
    for (const key of [
      '/starcabc/recordings/call-1/20260512T101500Z-1a2b3c4d/manifest.json',
      '/starcabc/recording-control/pending/chunk-0000.mp4/x',
    ])
      expect({ key, matched: pattern.test(key) }).toEqual({ key, matched: false });
  });

  test('runs over the workspace the blob logs go to, with the account and the app identity prepended, stateful', () => {
    expect(propertyValue(properties, 'scopes')).toMatch(/logAnalyticsWorkspaceId/);
    expect(propertyValue(properties, 'autoMitigate')).toBe('true');
    const criteria = propertyValue(properties, 'criteria')!;
    expect(criteria).toMatch(
      /query: 'let archiveAccount = \\'\$\{archiveStorageAccountName\}\\';\\nlet appPrincipalId = \\'\$\{appPrincipalId\}\\';\\n\$\{loadTextContent\('\.\.\/monitoring\/alert-chunk-overwrite\.kql'\)\}'/,
    );
    // Its dimensions are columns the query returns.
    const lines = q.text.trim().split('\n');
    const project = lines[lines.length - 1]!.replace(/^\| project /, '')
      .split(',')
      .map((c) => c.trim());
    for (const dimension of [...criteria.matchAll(/name: '(\w+)'/g)].map((m) => m[1]!))
      expect(project).toContain(dimension);
    const main = file('main.bicep');
    const module = main.modules.find((m) => m.symbol === 'archiveAlerts')!;
    const params = propertyValue(module.body, 'params')!;
    expect(propertyValue(params, 'appPrincipalId')).toBe('appIdentity.outputs.principalId');
    expect(propertyValue(params, 'archiveStorageAccountName')).toBe('archive.outputs.name');
    expect(propertyValue(params, 'logAnalyticsWorkspaceId')).toBe('monitoring.outputs.logAnalyticsId');
  });

  test("the archive account's blob service sends its write logs to that workspace", () => {
    const storage = file('app/archive-storage.bicep');
    const setting = storage.resources.find((r) => r.type === 'Microsoft.Insights/diagnosticSettings')!;
    expect(propertyValue(setting.body, 'scope')).toBe('blobService');
    const settingProperties = propertiesOf(setting.body);
    expect(propertyValue(settingProperties, 'workspaceId')).toBe('logAnalyticsWorkspaceId');
    expect(propertyValue(settingProperties, 'logs')).toMatch(/category: 'StorageWrite'[\s\S]*enabled: true/);
    const main = file('main.bicep');
    const archive = main.modules.find((m) => m.symbol === 'archive')!;
    expect(propertyValue(propertyValue(archive.body, 'params')!, 'logAnalyticsWorkspaceId')).toBe(
      'monitoring.outputs.logAnalyticsId',
    );
  });
});
