import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback stand-in for the few Azure Resource Manager operations `doctor` reads, so that its ARM target (REST,
 * bearer token, paging) runs for real in the tests. Paths, api-versions and body shapes are Resource Manager's, from
 * the REST specs' examples (Azure/azure-rest-api-specs):
 * - eventgrid/…/stable/2022-06-15/examples/SystemTopicEventSubscriptions_Get.json (the list is `{value, nextLink}`),
 *   EventSubscriptions_GetForCustomTopic_WebhookDestination.json (`endpointBaseUrl`, never the key),
 *   EventSubscriptions_GetForCustomTopic_AzureFunctionDestination.json, and SystemTopicEventSubscriptions_GetFullUrl
 *   (POST …/getFullUrl -> `{endpointUrl}`);
 * - web WebApps_ListApplicationSettings (POST …/config/appsettings/list -> `{properties}`), WebApps_ListFunctions;
 * - authorization RoleAssignments_ListForScope (`$filter=principalId eq '…'`);
 * - monitor ScheduledQueryRules_ListByResourceGroup, MetricAlerts_ListByResourceGroup.
 * What it answers is the `world` the test sets (and may change between runs). A request without the test's token gets
 * 401, as ARM refuses one.
 */

export interface ArmWorld {
  subscriptionId: string;
  resourceGroup: string;
  functionAppName: string;
  topic: { name: string; resourceGroup: string };
  acsResourceId: string;
  /** Each as ARM returns it; `fullUrl` is what getFullUrl answers (WebHook destinations only). */
  eventSubscriptions: { json: Record<string, unknown>; fullUrl?: string }[];
  appSettings: Record<string, string>;
  functions: string[];
  roleAssignments: { roleDefinitionGuid: string; principalId: string; scope: string }[];
  alerts: { name: string; kind: 'log' | 'metric'; enabled: boolean }[];
}

export interface ArmStandIn {
  url: string;
  token: string;
  /** Method, path and query of every request (never a header). */
  requests: string[];
  stop(): Promise<void>;
}

const API = {
  eventGrid: '2022-06-15',
  web: '2024-04-01',
  authorization: '2022-04-01',
  scheduledQueryRules: '2023-12-01',
  metricAlerts: '2018-03-01',
};

export async function startArmStandIn(world: ArmWorld, token = 'arm-stand-in-token'): Promise<ArmStandIn> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    try {
      answer(world, token, req, res, `http://${req.headers.host}`);
    } catch (error) {
      send(res, 500, { error: { code: 'InternalServerError', message: String(error) } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    token,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function answer(world: ArmWorld, token: string, req: IncomingMessage, res: ServerResponse, origin: string): void {
  if (req.headers.authorization !== `Bearer ${token}`) {
    return send(res, 401, { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } });
  }
  const url = new URL(req.url ?? '/', origin);
  const path = decodeURIComponent(url.pathname).toLowerCase();
  const version = url.searchParams.get('api-version');
  const rg = `/subscriptions/${world.subscriptionId}/resourcegroups/${world.resourceGroup}`.toLowerCase();
  const site = `${rg}/providers/microsoft.web/sites/${world.functionAppName}`.toLowerCase();
  const topic =
    `/subscriptions/${world.subscriptionId}/resourcegroups/${world.topic.resourceGroup}/providers/microsoft.eventgrid/systemtopics/${world.topic.name}`.toLowerCase();
  const expect = (wanted: string) => {
    if (version === wanted) return true;
    send(res, 400, { error: { code: 'InvalidApiVersionParameter', message: `api-version '${version}' is invalid.` } });
    return false;
  };
  if (req.method === 'GET' && path === `${topic}/eventsubscriptions`) {
    if (!expect(API.eventGrid)) return;
    // One subscription per page, so that the client's nextLink paging runs.
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const page = world.eventSubscriptions.slice(skip, skip + 1).map((s) => s.json);
    const next = skip + 1 < world.eventSubscriptions.length;
    return send(res, 200, {
      value: page,
      ...(next ? { nextLink: `${origin}${url.pathname}?api-version=${API.eventGrid}&$skiptoken=${skip + 1}` } : {}),
    });
  }
  const fullUrl = new RegExp(`^${escape(topic)}/eventsubscriptions/([^/]+)/getfullurl$`).exec(path);
  if (req.method === 'POST' && fullUrl) {
    if (!expect(API.eventGrid)) return;
    const found = world.eventSubscriptions.find((s) => String(s.json.name).toLowerCase() === fullUrl[1]);
    if (!found?.fullUrl) return notFound(res);
    return send(res, 200, { endpointUrl: found.fullUrl });
  }
  if (req.method === 'POST' && path === `${site}/config/appsettings/list`) {
    if (!expect(API.web)) return;
    return send(res, 200, {
      id: `${site}/config/appsettings`,
      name: 'appsettings',
      type: 'Microsoft.Web/sites/config',
      properties: world.appSettings,
    });
  }
  if (req.method === 'GET' && path === `${site}/functions`) {
    if (!expect(API.web)) return;
    return send(res, 200, {
      value: world.functions.map((name) => ({
        id: `${site}/functions/${name}`,
        name: `${world.functionAppName}/${name}`,
        type: 'Microsoft.Web/sites/functions',
        properties: { name, isDisabled: false, language: 'node' },
      })),
    });
  }
  if (
    req.method === 'GET' &&
    path === `${world.acsResourceId.toLowerCase()}/providers/microsoft.authorization/roleassignments`
  ) {
    if (!expect(API.authorization)) return;
    const principal = /principalId eq '([^']+)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
    return send(res, 200, {
      value: world.roleAssignments
        .filter((a) => a.principalId === principal)
        .map((a) => ({
          properties: {
            roleDefinitionId: `/subscriptions/${world.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${a.roleDefinitionGuid}`,
            principalId: a.principalId,
            principalType: 'ServicePrincipal',
            scope: a.scope,
          },
          type: 'Microsoft.Authorization/roleAssignments',
        })),
    });
  }
  for (const [kind, segment, wanted] of [
    ['log', 'scheduledqueryrules', API.scheduledQueryRules],
    ['metric', 'metricalerts', API.metricAlerts],
  ] as const) {
    if (req.method === 'GET' && path === `${rg}/providers/microsoft.insights/${segment}`) {
      if (!expect(wanted)) return;
      return send(res, 200, {
        value: world.alerts
          .filter((a) => a.kind === kind)
          .map((a) => ({ name: a.name, type: `Microsoft.Insights/${segment}`, properties: { enabled: a.enabled } })),
      });
    }
  }
  return notFound(res);
}

function notFound(res: ServerResponse): void {
  send(res, 404, { error: { code: 'ResourceNotFound', message: 'The resource was not found.' } });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Event subscriptions as Resource Manager describes those infra/subscriptions.bicep creates. */
export function deployedSubscriptions(options: {
  world: Pick<ArmWorld, 'subscriptionId' | 'resourceGroup' | 'functionAppName' | 'topic'>;
  appUrl: string;
  callEventsKey: string;
  deadLetter: { account: string; container: string };
  env?: string;
}): ArmWorld['eventSubscriptions'] {
  const { world, env = 'dev' } = options;
  const site = `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.Web/sites/${world.functionAppName}`;
  const topicId = `/subscriptions/${world.subscriptionId}/resourceGroups/${world.topic.resourceGroup}/providers/Microsoft.EventGrid/systemTopics/${world.topic.name}`;
  const deadLetterWithResourceIdentity = {
    identity: { type: 'SystemAssigned' },
    deadLetterDestination: {
      endpointType: 'StorageBlob',
      properties: {
        resourceId: `/subscriptions/${world.subscriptionId}/resourceGroups/${world.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${options.deadLetter.account}`,
        blobContainerName: options.deadLetter.container,
      },
    },
  };
  const common = (name: string) => ({
    id: `${topicId}/eventSubscriptions/${name}`,
    name,
    type: 'Microsoft.EventGrid/systemTopics/eventSubscriptions',
  });
  return [
    {
      json: {
        ...common(`archive-files-${env}`),
        properties: {
          topic: topicId,
          provisioningState: 'Succeeded',
          destination: {
            endpointType: 'AzureFunction',
            properties: { resourceId: `${site}/functions/archiveRecording`, maxEventsPerBatch: 1 },
          },
          filter: { includedEventTypes: ['Microsoft.Communication.RecordingFileStatusUpdated'] },
          eventDeliverySchema: 'EventGridSchema',
          retryPolicy: { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 },
          deadLetterWithResourceIdentity,
        },
      },
    },
    {
      json: {
        ...common(`call-events-${env}`),
        properties: {
          topic: topicId,
          provisioningState: 'Succeeded',
          destination: {
            endpointType: 'WebHook',
            properties: { endpointBaseUrl: `${options.appUrl}/api/call-events`, maxEventsPerBatch: 1 },
          },
          filter: {
            includedEventTypes: ['Microsoft.Communication.CallStarted', 'Microsoft.Communication.CallEnded'],
          },
          eventDeliverySchema: 'EventGridSchema',
          retryPolicy: { maxDeliveryAttempts: 10, eventTimeToLiveInMinutes: 1440 },
          deadLetterWithResourceIdentity,
        },
      },
      fullUrl: `${options.appUrl}/api/call-events?code=${options.callEventsKey}`,
    },
  ];
}
