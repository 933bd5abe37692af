import type { TokenCredential } from '@azure/core-auth';
import { safeText } from '../../shared/text';
import type {
  AlertRuleView,
  DoctorTarget,
  EventSubscriptionView,
  FunctionsView,
  Maybe,
  RoleAssignmentView,
} from './target';

/**
 * The deployment as Azure Resource Manager describes it, read with REST calls and a Microsoft Entra token for ARM
 * (the operator's `az login`, through @azure/identity). Read-only, except the two POST actions ARM defines for reads
 * that return secrets (getFullUrl, appsettings/list): their answers are probed or compared, never printed.
 * The api-versions are the ones infra/ deploys with.
 */

const EVENT_GRID_API = '2022-06-15';
const WEB_API = '2024-04-01';
const AUTHORIZATION_API = '2022-04-01';
const SCHEDULED_QUERY_RULES_API = '2023-12-01';
const METRIC_ALERTS_API = '2018-03-01';
const ARM_SCOPE = 'https://management.azure.com/.default';
const MAX_PAGES = 20;

/** What the ARM target needs to find the deployment: the azd environment's values. */
export interface ArmDeployment {
  subscriptionId: string;
  resourceGroup: string;
  functionAppName: string;
  appUrl: URL;
  systemTopic?: { name: string; resourceGroup: string };
  acsResourceId?: string;
  appPrincipalId?: string;
}

export interface ArmTargetOptions {
  credential: TokenCredential;
  /** Default https://management.azure.com/ (another cloud's, or a test's stand-in). */
  endpoint?: URL;
  timeoutMs?: number;
}

/** A refusal or failure of Resource Manager, with its status and error code (never a token or a secret). */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ArmError';
  }
}

export function createArmTarget(deployment: ArmDeployment, options: ArmTargetOptions): DoctorTarget {
  const arm = new ArmClient(options);
  const site = `/subscriptions/${deployment.subscriptionId}/resourceGroups/${deployment.resourceGroup}/providers/Microsoft.Web/sites/${deployment.functionAppName}`;
  const topic = deployment.systemTopic
    ? `/subscriptions/${deployment.subscriptionId}/resourceGroups/${deployment.systemTopic.resourceGroup}/providers/Microsoft.EventGrid/systemTopics/${deployment.systemTopic.name}`
    : undefined;
  const noTopic = {
    unavailable: 'EVENT_GRID_SYSTEM_TOPIC_NAME is not set: run doctor with the azd environment values',
  };
  return {
    kind: 'azure',
    appUrl: deployment.appUrl,
    async appSettings() {
      const body = await arm.send('POST', `${site}/config/appsettings/list`, WEB_API);
      return record(field(body, 'properties'));
    },
    async functions(): Promise<FunctionsView> {
      const items = await arm.list(`${site}/functions`, WEB_API);
      const names = items.map((item) => {
        const name = text(field(field(item, 'properties'), 'name')) ?? text(field(item, 'name')) ?? '';
        return name.split('/').pop()!;
      });
      // NOTE: Resource Manager does not report which functions failed indexing; the app settings check covers it.
      return { names, errors: {} };
    },
    async eventSubscriptions(): Promise<Maybe<EventSubscriptionView[]>> {
      if (!topic) return noTopic;
      return (await arm.list(`${topic}/eventSubscriptions`, EVENT_GRID_API)).map(toEventSubscriptionView);
    },
    async webhookUrl(name) {
      if (!topic) return noTopic;
      const body = await arm.send(
        'POST',
        `${topic}/eventSubscriptions/${encodeURIComponent(name)}/getFullUrl`,
        EVENT_GRID_API,
      );
      const url = text(field(body, 'endpointUrl'));
      if (!url) throw new ArmError(200, 'NoEndpointUrl', `getFullUrl of ${safeText(name, 80)} returned no endpointUrl`);
      return url;
    },
    async acsRoleAssignments(): Promise<Maybe<RoleAssignmentView[]>> {
      if (!deployment.acsResourceId || !deployment.appPrincipalId) {
        return { unavailable: 'ACS_RESOURCE_ID or AZURE_FUNCTION_PRINCIPAL_ID is not set (azd environment values)' };
      }
      const filter = `principalId eq '${deployment.appPrincipalId}'`;
      const items = await arm.list(
        `${deployment.acsResourceId}/providers/Microsoft.Authorization/roleAssignments`,
        AUTHORIZATION_API,
        { $filter: filter },
      );
      return items.map((item) => {
        const properties = field(item, 'properties');
        return {
          principalId: text(field(properties, 'principalId')) ?? '',
          roleDefinitionGuid: (text(field(properties, 'roleDefinitionId')) ?? '').split('/').pop()!.toLowerCase(),
          scope: text(field(properties, 'scope')) ?? '',
        };
      });
    },
    async alertRules(): Promise<AlertRuleView[]> {
      const group = `/subscriptions/${deployment.subscriptionId}/resourceGroups/${deployment.resourceGroup}/providers/Microsoft.Insights`;
      const [logs, metrics] = await Promise.all([
        arm.list(`${group}/scheduledQueryRules`, SCHEDULED_QUERY_RULES_API),
        arm.list(`${group}/metricAlerts`, METRIC_ALERTS_API),
      ]);
      const view = (kind: AlertRuleView['kind']) => (item: unknown) => ({
        name: text(field(item, 'name')) ?? '',
        kind,
        enabled: field(field(item, 'properties'), 'enabled') === true,
      });
      return [...logs.map(view('log')), ...metrics.map(view('metric'))];
    },
  };
}

/** ARM's JSON over fetch: a bearer token per request, `nextLink` paging kept on ARM's own origin. */
class ArmClient {
  private readonly endpoint: URL;

  constructor(private readonly options: ArmTargetOptions) {
    this.endpoint = options.endpoint ?? new URL('https://management.azure.com/');
  }

  async send(method: string, path: string, apiVersion: string, query: Record<string, string> = {}): Promise<unknown> {
    const url = new URL(path.replace(/^\/+/, ''), this.endpoint);
    url.searchParams.set('api-version', apiVersion);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return this.fetchJson(method, url);
  }

  async list(path: string, apiVersion: string, query: Record<string, string> = {}): Promise<unknown[]> {
    const items: unknown[] = [];
    let page = await this.send('GET', path, apiVersion, query);
    for (let pages = 1; ; pages++) {
      const value = field(page, 'value');
      if (Array.isArray(value)) items.push(...(value as unknown[]));
      const next = text(field(page, 'nextLink'));
      if (!next || pages >= MAX_PAGES) return items;
      const nextUrl = new URL(next);
      // NOTE: the token goes to Resource Manager only; a nextLink elsewhere is not followed.
      if (nextUrl.origin !== this.endpoint.origin) return items;
      page = await this.fetchJson('GET', nextUrl);
    }
  }

  private async fetchJson(method: string, url: URL): Promise<unknown> {
    let token;
    try {
      token = await this.options.credential.getToken(ARM_SCOPE);
    } catch (error) {
      throw new ArmError(
        401,
        'NoToken',
        `no Microsoft Entra token for Azure Resource Manager (sign in: az login): ${error instanceof Error ? error.name : 'error'}`,
      );
    }
    if (!token) throw new ArmError(401, 'NoToken', 'no Microsoft Entra token for Azure Resource Manager (az login)');
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token.token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new ArmError(0, 'Unreachable', `Azure Resource Manager did not answer (${safeText(String(cause), 60)})`);
    }
    const body = await response.text();
    let json: unknown;
    try {
      json = body ? JSON.parse(body) : {};
    } catch {
      json = {};
    }
    if (!response.ok) {
      const error = field(json, 'error');
      const code = text(field(error, 'code')) ?? String(response.status);
      const message = text(field(error, 'message')) ?? response.statusText;
      throw new ArmError(
        response.status,
        code,
        `Azure Resource Manager answered ${response.status} ${safeText(code, 80)}: ${safeText(message, 300)}`,
      );
    }
    return json;
  }
}

function toEventSubscriptionView(item: unknown): EventSubscriptionView {
  const properties = field(item, 'properties');
  const destination = field(properties, 'destination');
  const endpoint = field(destination, 'properties');
  const filter = field(properties, 'filter');
  const types = field(filter, 'includedEventTypes');
  // NOTE: a subscription dead-letters either with the topic's identity (deadLetterWithResourceIdentity, how infra/
  // deploys it) or with keys (deadLetterDestination).
  const deadLetter =
    field(field(properties, 'deadLetterWithResourceIdentity'), 'deadLetterDestination') ??
    field(properties, 'deadLetterDestination');
  const deadLetterProperties = field(deadLetter, 'properties');
  return {
    name: text(field(item, 'name')) ?? '',
    provisioningState: text(field(properties, 'provisioningState')) ?? 'Unknown',
    endpointType: text(field(destination, 'endpointType')) ?? 'Unknown',
    endpoint: text(field(endpoint, 'resourceId')) ?? text(field(endpoint, 'endpointBaseUrl')) ?? '',
    includedEventTypes: Array.isArray(types) ? types.filter((t): t is string => typeof t === 'string') : null,
    deadLetter: deadLetterProperties
      ? {
          storageAccountId: text(field(deadLetterProperties, 'resourceId')) ?? '',
          container: text(field(deadLetterProperties, 'blobContainerName')) ?? '',
        }
      : null,
  };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function record(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return result;
  for (const [key, entry] of Object.entries(value)) if (typeof entry === 'string') result[key] = entry;
  return result;
}
