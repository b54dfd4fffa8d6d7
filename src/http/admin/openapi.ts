import { z } from 'zod';
import { campaignJsonSchema } from '../../campaigns/json-schema';
import { ChannelQuery } from '../../reports/channel-query';
import { FunnelQuery, FunnelSvgQuery } from '../../reports/funnel-query';
import { VariantQuery } from '../../reports/variant-query';
import { SavingsQuery } from '../../reports/savings';
import { ContextView } from '../context-routes';
import { AuditListView, AuditQueryParams } from '../../audit/schemas';
import type { Role } from '../../auth/roles';
import { DATA_OPERATIONS } from './data-routes';
import { TOKEN_OPERATIONS } from './token-routes';
import {
  CallWithEventsView,
  CampaignDetailView,
  ChannelReportView,
  VariantReportView,
  SavingsView,
  StuckReportView,
  CampaignListView,
  ConsentListView,
  ConsentQuery,
  ErrorView,
  EventsExportQuery,
  EventsQuery,
  EventsView,
  FunnelReportView,
  MessagesQuery,
  MessagesView,
  ServiceSwitchBody,
  ServiceSwitchView,
} from './schemas';

/**
 * The admin API as OpenAPI 3.1, generated from the zod schemas the routes parse with.
 * A test walks the router and checks every route is here (and nothing else), and sends
 * real requests through a validating proxy of this document.
 */

type Json = Record<string, unknown>;

export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path under /api, with {param} placeholders. */
  path: string;
  /**
   * The token's role the route needs (README "Roles"), or open (its own credential). The
   * document shows it as x-role; the role-matrix test checks it against the router's.
   */
  role: Role | 'open';
  summary: string;
  tag: string;
  query?: z.ZodType;
  body?: { schema: Json; description: string };
  /** Status → description and (for JSON answers) the zod schema; `media` for other types. */
  responses: Record<number, { description: string; schema?: z.ZodType | Json; media?: string | readonly string[]; headers?: Json }>;
  /** Campaign changes take If-Match. */
  ifMatch?: boolean;
  /** Who may call it, when not the admin bearer alone (OpenAPI security requirements: any one). */
  security?: Json[];
}

const CAMPAIGN_REF = { $ref: '#/components/schemas/Campaign' };
const ETAG = { ETag: { description: 'the version of the campaign in service', schema: { type: 'string' } } };

const unaudited = { description: 'reveal=true, and the audit trail could not record it: whole numbers are not shown', schema: ErrorView };
const bad = { description: 'invalid input: error names each failing field', schema: ErrorView };
const notFound = { description: 'no such campaign', schema: ErrorView };
const stale = { description: 'If-Match names an older version; ETag has the current one', schema: ErrorView };
const campaignSaved = (description: string) => ({ description, schema: CampaignDetailView, headers: ETAG });
const NO_STORE = { 'Cache-Control': { description: 'no-store: the answer holds personal data', schema: { type: 'string', const: 'no-store' } } };
/** Path parameters other than a campaign's {id}. */
const PATH_PARAMETERS: Record<string, Json> = {
  token: {
    description: 'the context token from the link the caller opened (the {contextToken} placeholder): a compact JWS, HS256',
    schema: { type: 'string' },
  },
};

export const OPERATIONS: readonly Operation[] = [
  {
    method: 'get',
    path: '/campaigns',
    role: 'viewer',
    tag: 'campaigns',
    summary: 'Every campaign in service, and campaign files that are not (with why)',
    responses: { 200: { description: 'campaigns', schema: CampaignListView } },
  },
  {
    method: 'post',
    path: '/campaigns',
    role: 'editor',
    tag: 'campaigns',
    summary: 'Create a campaign: written to campaigns/<id>.json and in service from the next call',
    body: { schema: CAMPAIGN_REF, description: 'the campaign, in the campaign file format' },
    responses: {
      201: campaignSaved('created'),
      400: bad,
      409: { description: 'a campaign with this id exists', schema: ErrorView },
    },
  },
  {
    method: 'get',
    path: '/campaigns/{id}',
    role: 'viewer',
    tag: 'campaigns',
    summary: 'One campaign as written in its file, with its version (ETag)',
    responses: { 200: campaignSaved('the campaign'), 404: notFound },
  },
  {
    method: 'put',
    path: '/campaigns/{id}',
    role: 'editor',
    tag: 'campaigns',
    summary: 'Replace a campaign (the id cannot change)',
    body: { schema: CAMPAIGN_REF, description: 'the whole campaign, in the campaign file format' },
    ifMatch: true,
    responses: { 200: campaignSaved('saved'), 400: bad, 404: notFound, 412: stale },
  },
  {
    method: 'delete',
    path: '/campaigns/{id}',
    role: 'editor',
    tag: 'campaigns',
    summary: 'Delete a campaign and its file; its calls hand back from the next call',
    ifMatch: true,
    responses: { 204: { description: 'deleted' }, 404: notFound, 412: stale },
  },
  ...(['activate', 'deactivate'] as const).map(
    (action): Operation => ({
      method: 'post',
      path: `/campaigns/{id}/${action}`,
      role: 'editor',
      tag: 'campaigns',
      summary: action === 'activate' ? 'Switch a campaign on' : 'Switch a campaign off: its calls are handed back',
      ifMatch: true,
      responses: { 200: campaignSaved('saved'), 400: bad, 404: notFound, 412: stale },
    }),
  ),
  {
    method: 'get',
    path: '/audit',
    role: 'admin',
    tag: 'audit',
    summary: 'The audit trail, newest first, paged, with the hash chain\'s verification (JSON, or CSV of every match with format=csv)',
    query: AuditQueryParams,
    responses: { 200: { description: 'audit entries', schema: AuditListView, media: 'text/csv' }, 400: bad },
  },
  {
    method: 'get',
    path: '/service',
    role: 'viewer',
    tag: 'service',
    summary: 'The global service switch',
    responses: { 200: { description: 'the switch', schema: ServiceSwitchView } },
  },
  {
    method: 'put',
    path: '/service',
    role: 'editor',
    tag: 'service',
    summary: 'Switch the service on or off for every campaign, from the next call',
    body: { schema: z.toJSONSchema(ServiceSwitchBody, { io: 'input' }) as Json, description: 'the new state' },
    responses: { 200: { description: 'the switch', schema: ServiceSwitchView }, 400: bad },
  },
  {
    method: 'get',
    path: '/messages',
    role: 'viewer',
    tag: 'records',
    summary: 'Texts, newest first, with filters; numbers masked unless reveal=true with a reason (recorded in the audit trail)',
    query: MessagesQuery,
    responses: { 200: { description: 'messages', schema: MessagesView }, 400: bad, 503: unaudited },
  },
  {
    method: 'get',
    path: '/consent',
    role: 'viewer',
    tag: 'records',
    summary: 'Consent evidence, one row per text (JSON, or CSV with format=csv)',
    query: ConsentQuery,
    responses: {
      200: { description: 'consent records', schema: ConsentListView, media: 'text/csv' },
      400: bad,
      503: unaudited,
    },
  },
  {
    method: 'get',
    path: '/events',
    role: 'viewer',
    tag: 'records',
    summary: 'Call events in a time range, oldest first, paged by id',
    query: EventsQuery,
    responses: { 200: { description: 'events', schema: EventsView }, 400: bad },
  },
  {
    method: 'get',
    path: '/events/export',
    role: 'viewer',
    tag: 'records',
    summary: 'Call events of a range (at most 31 days) for a warehouse, streamed: NDJSON (the events-out body\'s items, one a line) or CSV',
    query: EventsExportQuery,
    responses: {
      200: { description: 'the events, oldest first (by id)', media: ['application/x-ndjson', 'text/csv'] },
      400: bad,
    },
  },
  {
    method: 'get',
    path: '/calls/{id}',
    role: 'viewer',
    tag: 'records',
    summary: 'One call and all its events (numbers masked)',
    responses: { 200: { description: 'the call', schema: CallWithEventsView }, 404: { description: 'no such call', schema: ErrorView } },
  },
  {
    method: 'get',
    path: '/reports/funnel',
    role: 'viewer',
    tag: 'reports',
    summary: 'The deflection funnel for a range of local days, by day, hour, campaign or DNIS (JSON, or CSV with format=csv)',
    query: FunnelQuery,
    responses: { 200: { description: 'the report', schema: FunnelReportView, media: 'text/csv' }, 400: bad },
  },
  {
    method: 'get',
    path: '/reports/funnel.svg',
    role: 'viewer',
    tag: 'reports',
    summary: 'The funnel (chart=funnel) or its rows over time (chart=series) as an SVG chart',
    query: FunnelSvgQuery,
    responses: { 200: { description: 'the chart', media: 'image/svg+xml' }, 400: bad },
  },
  {
    method: 'get',
    path: '/reports/channels',
    role: 'viewer',
    tag: 'reports',
    summary: 'The messages of a range by channel (or by campaign and channel): created, sent, delivered, read, failed, fallbacks (JSON, or CSV with format=csv)',
    query: ChannelQuery,
    responses: { 200: { description: 'the report', schema: ChannelReportView, media: 'text/csv' }, 400: bad },
  },
  {
    method: 'get',
    path: '/reports/variants',
    role: 'viewer',
    tag: 'reports',
    summary:
      "The funnel by offer variant, A/B style: each step's share of offered calls with its 95% Wilson interval, a two-proportion z-test against the campaign's first variant, a winner only when p < 0.05, else the calls each arm needs (JSON, or CSV with format=csv; also GET /reports/funnel?by=variant)",
    query: VariantQuery,
    responses: { 200: { description: 'the report', schema: VariantReportView, media: 'text/csv' }, 400: bad },
  },
  {
    method: 'get',
    path: '/reports/savings',
    role: 'viewer',
    tag: 'reports',
    summary:
      'What deflection saved in a range, from the costs given: a voice minute, the average handle time (minutes), a chat, a text. Calls whose link was opened count as moved to chat',
    query: SavingsQuery,
    responses: { 200: { description: 'the estimate', schema: SavingsView }, 400: bad },
  },
  {
    method: 'get',
    path: '/reports/stuck',
    role: 'viewer',
    tag: 'reports',
    summary: "Deflections that stuck, by campaign: texted calls of the range whose caller or texted number did not call again within the campaign's recontactDays; only windows fully passed are judged (JSON, or CSV with format=csv)",
    query: FunnelQuery,
    responses: { 200: { description: 'the report', schema: StuckReportView, media: 'text/csv' }, 400: bad },
  },
  {
    method: 'get',
    path: '/context/{token}',
    role: 'open',
    tag: 'context',
    summary:
      "Context for the agent: the chat platform trades the token of the link the caller opened for why they called (the IVR's allowed ctx.* values, the offer, when it was accepted and texted; the caller's number masked)",
    // Either bearer opens it: the admin's, or the chat platform's own, which opens nothing else.
    security: [{ bearer: [] }, { contextBearer: [] }],
    responses: {
      200: { description: 'the call behind the token (never cached)', schema: ContextView, headers: NO_STORE },
      401: {
        description: 'missing or wrong bearer token; or a context token forged, expired, too long or not a token at all (one answer for all: which check failed is not said)',
        schema: ErrorView,
        headers: NO_STORE,
      },
      404: { description: 'the token is genuine but its call is no longer kept', schema: ErrorView, headers: NO_STORE },
      503: { description: 'switched off: neither CONTEXT_API_TOKEN nor ADMIN_TOKEN is set, or CONTEXT_TOKEN_SECRET is not', schema: ErrorView, headers: NO_STORE },
    },
  },
  // Erasure and legal holds (README "Retention and erasure").
  ...(DATA_OPERATIONS as unknown as Operation[]),
  // Named API tokens (README "API tokens").
  ...(TOKEN_OPERATIONS as unknown as Operation[]),
];

const jsonSchemaOf = (schema: z.ZodType | Json, io: 'input' | 'output'): Json =>
  schema instanceof z.ZodType ? (z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json) : schema;

/** Query parameters from a zod object schema: one OpenAPI parameter per property. */
function queryParameters(schema: z.ZodType): Json[] {
  const json = jsonSchemaOf(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: json.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function operationObject(op: Operation): Json {
  const parameters: Json[] = [];
  for (const [, name = ''] of op.path.matchAll(/\{(\w+)\}/g)) {
    parameters.push({ name, in: 'path', required: true, ...(PATH_PARAMETERS[name] ?? { schema: { type: 'string' } }) });
  }
  if (op.ifMatch) {
    parameters.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'the ETag you read: the change is refused (412) if someone changed the campaign since',
      schema: { type: 'string' },
    });
  }
  if (op.query) parameters.push(...queryParameters(op.query));
  const responses = Object.fromEntries(
    Object.entries(op.responses).map(([status, r]) => {
      const content: Json = {};
      if (r.schema) content['application/json'] = { schema: stripDialect(jsonSchemaOf(r.schema, 'output')) };
      for (const media of typeof r.media === 'string' ? [r.media] : (r.media ?? [])) content[media] = { schema: { type: 'string' } };
      return [
        status,
        {
          description: r.description,
          ...(Object.keys(content).length ? { content } : {}),
          ...(r.headers ? { headers: r.headers } : {}),
        },
      ];
    }),
  );
  return {
    summary: op.summary,
    tags: [op.tag],
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? { requestBody: { required: true, description: op.body.description, content: { 'application/json': { schema: stripDialect(op.body.schema) } } } }
      : {}),
    ...(op.role === 'open' ? {} : { 'x-role': op.role, description: `Needs a token with the ${op.role} role or above.` }),
    // An operation's own 401 (the context API says more) wins over the common one.
    responses: {
      401: { description: 'missing or wrong bearer token' },
      ...(op.role === 'open' ? {} : { 403: { description: `the token's role is below ${op.role}`, content: { 'application/json': { schema: stripDialect(jsonSchemaOf(ErrorView, 'output')) } } } }),
      ...responses,
    },
    ...(op.security ? { security: op.security } : {}),
  };
}

/** Schemas inside an OpenAPI 3.1 document take the document's dialect: no $schema of their own. */
function stripDialect(schema: Json): Json {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

export function adminOpenApi(operations: readonly Operation[] = OPERATIONS): Json {
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    paths[op.path] = { ...(paths[op.path] ?? {}), [op.method]: operationObject(op) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ivr-deflect admin API',
      version: '1',
      description:
        'Campaigns, the service switch, texts, consent evidence, call events, reports, and the context for the agent. Every route needs `Authorization: Bearer <token>`: ADMIN_TOKEN (the admin role) or the secret of a named API token whose role is at least the route\'s x-role (viewer < editor < admin); GET /context/{token} also takes the chat platform\'s `Bearer <CONTEXT_API_TOKEN>`.',
    },
    servers: [{ url: '/api' }],
    security: [{ bearer: [] }],
    tags: [{ name: 'campaigns' }, { name: 'service' }, { name: 'records' }, { name: 'audit' }, { name: 'reports' }, { name: 'context' }, { name: 'tokens' }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (opens every route), or a named API token (ivrd_…), which opens what its role allows' },
        contextBearer: { type: 'http', scheme: 'bearer', description: "CONTEXT_API_TOKEN, the chat platform's token: opens GET /context/{token} only" },
      },
      schemas: { Campaign: stripDialect(campaignJsonSchema()) },
    },
  };
}
