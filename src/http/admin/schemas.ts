import { CHANNEL_NAMES } from '../../channels/channel';
import { z } from 'zod';
import { EVENT_TYPES, NUMBER_FILTER } from '../../store/port';

/**
 * What the admin API accepts and answers, as zod schemas: the routes parse with them and
 * the OpenAPI document (openapi.ts) is generated from them, so the two cannot drift.
 */

const RevealFields = {
  reveal: z.enum(['true', 'false']).default('false').describe('show whole phone numbers (needs reason)'),
  reason: z.string().trim().min(3).max(200).optional().describe('why whole numbers are needed; logged'),
};

const needsReason = <T extends { reveal: 'true' | 'false'; reason?: string | undefined }>(q: T) =>
  q.reveal === 'false' || Boolean(q.reason);
const REASON_REQUIRED = { message: 'is required to reveal numbers', path: ['reason'] };

const isoTime = z.iso.datetime({ offset: true });

export const MessagesQuery = z
  .strictObject({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    before: isoTime.optional().describe('only messages created before this time (paging: the last createdAt seen)'),
    since: isoTime.optional().describe('only messages created at or after this time'),
    status: z.enum(['queued', 'sent', 'delivered', 'read', 'undelivered', 'failed']).optional(),
    campaign: z.string().min(1).max(63).optional(),
    callId: z.string().min(1).max(128).optional(),
    number: z
      .string()
      .regex(NUMBER_FILTER, 'must be a whole E.164 number or its last 2 to 6 digits')
      .optional()
      .describe('the destination: a whole E.164 number, or its last digits'),
    ...RevealFields,
  })
  .refine(needsReason, REASON_REQUIRED);

export const ConsentQuery = z
  .strictObject({
    from: isoTime.describe('texts confirmed at or after this time'),
    to: isoTime.describe('texts confirmed before this time'),
    campaign: z.string().min(1).max(63).optional(),
    format: z.enum(['json', 'csv']).default('json'),
    limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
    ...RevealFields,
  })
  .refine(needsReason, REASON_REQUIRED)
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] });

export const EventsQuery = z
  .strictObject({
    from: isoTime.describe('events at or after this time'),
    to: isoTime.describe('events before this time'),
    type: z.enum(EVENT_TYPES).optional(),
    campaign: z.string().min(1).max(63).optional(),
    afterId: z.coerce.number().int().min(0).optional().describe('paging: the nextAfterId of the previous page'),
    limit: z.coerce.number().int().min(1).max(5_000).default(500),
  })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] });

/** The events export's longest range: a month at a time keeps one request's work bounded. */
export const EXPORT_MAX_DAYS = 31;

export const EventsExportQuery = z
  .strictObject({
    from: isoTime.describe('events at or after this time'),
    to: isoTime.describe(`events before this time (at most ${EXPORT_MAX_DAYS} days after from)`),
    format: z.enum(['ndjson', 'csv']).default('ndjson').describe('ndjson: one JSON event a line, as events out sends them; csv: one row per event'),
    type: z.enum(EVENT_TYPES).optional(),
    campaign: z.string().min(1).max(63).optional(),
  })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'must be after from', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= EXPORT_MAX_DAYS * 86_400_000, { message: `must be at most ${EXPORT_MAX_DAYS} days after from`, path: ['to'] });

export const ServiceSwitchBody = z.strictObject({ enabled: z.boolean() });

/** Campaign ids as the schema allows them: also what path parameters must look like. */
export const CampaignIdParam = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'is not a campaign id');

// ---- answers ----

export const ErrorView = z.object({
  error: z.string(),
  fields: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

export const ServiceSwitchView = z.object({
  enabled: z.boolean(),
  changedBy: z.string().nullable(),
  changedAt: z.string().nullable(),
});

export const MessageView = z.object({
  id: z.string(),
  to: z.string().describe('masked (+*******1234) unless reveal=true'),
  body: z.string(),
  channel: z.enum(CHANNEL_NAMES),
  fallbackOf: z.string().nullable().describe('the message this one replaced when its channel did not get through'),
  status: z.enum(['queued', 'sent', 'delivered', 'read', 'undelivered', 'failed']),
  campaignId: z.string(),
  callId: z.string(),
  gateway: z.string(),
  fallbackGateway: z.string().nullable(),
  sentVia: z.string().nullable(),
  vendorMessageId: z.string().nullable(),
  vendorStatus: z.string().nullable(),
  segments: z.number().int(),
  encoding: z.enum(['GSM-7', 'UCS-2']),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  error: z.object({ code: z.string(), detail: z.string().nullable() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const MessagesView = z.object({ messages: z.array(MessageView), revealed: z.boolean() });

export const ConsentView = z.object({
  messageId: z.string(),
  callId: z.string(),
  campaignId: z.string(),
  variant: z.string().nullable(),
  dnis: z.string(),
  ani: z.string(),
  destination: z.string(),
  destinationSource: z.string(),
  acceptKey: z.string(),
  confirmKey: z.string(),
  offerVersion: z.string(),
  offerText: z.string(),
  offeredAt: z.string(),
  acceptedAt: z.string().nullable(),
  confirmedAt: z.string(),
  channel: z.enum(CHANNEL_NAMES).describe('the channel the caller agreed to be messaged on'),
  channelConsentText: z.string().describe("the channel's own opt-in wording the caller heard ('' when none)"),
});
export const ConsentListView = z.object({ consent: z.array(ConsentView) });

const EventDetail = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
export const EventView = z.object({
  id: z.number().int(),
  callId: z.string(),
  campaignId: z.string().nullable(),
  type: z.enum(EVENT_TYPES),
  detail: EventDetail.optional(),
  createdAt: z.string(),
});
export const EventsView = z.object({
  events: z.array(EventView),
  nextAfterId: z.number().int().nullable().describe('pass as afterId for the next page; null: no more'),
});

export const CallView = z.object({
  id: z.string(),
  campaignId: z.string().nullable(),
  mode: z.enum(['goto', 'subdialog']),
  dnis: z.string(),
  ani: z.string().describe('masked'),
  platformCallId: z.string(),
  state: z.string(),
  destination: z.string().nullable().describe('masked'),
  destinationSource: z.enum(['ani', 'entered']).nullable(),
  variant: z.string().nullable(),
  createdAt: z.string(),
});
export const CallWithEventsView = z.object({ call: CallView, events: z.array(EventView) });

export const CampaignSummaryView = z.object({
  id: z.string(),
  name: z.string(),
  active: z.boolean(),
  dnis: z.array(z.string()),
  file: z.string(),
  version: z.string(),
  status: z.enum(['ok', 'last-good']).describe('last-good: the file is invalid, and its last good version serves until it is fixed'),
  problems: z.array(z.string()).describe('why the file on disk is not in service (its last good version is)'),
});
export const CampaignListView = z.object({
  campaigns: z.array(CampaignSummaryView),
  fileProblems: z
    .array(z.object({ file: z.string(), status: z.literal('broken'), problems: z.array(z.string()) }))
    .describe('invalid files with no last good version: not in service, their numbers get the not-available answer'),
});
export const CampaignDetailView = CampaignSummaryView.extend({
  document: z.record(z.string(), z.unknown()).describe('the campaign as written in its file'),
});

const Rate = z.number().min(0).max(1).nullable();
const FunnelRowView = z.object({
  key: z.string().describe('local date, local hour, campaign id or DNIS; "(none)" for calls without one'),
  start: z.string().nullable().describe('day and hour rows: local start time with its UTC offset'),
  calls: z.number().int(),
  offered: z.number().int(),
  notOffered: z.record(z.string(), z.number().int()).describe('calls not offered, by reason'),
  accepted: z.number().int(),
  declined: z.number().int(),
  textsSent: z.number().int(),
  textsDelivered: z.number().int(),
  textsFailed: z.number().int(),
  linksClicked: z.number().int().describe('calls whose short link a person opened (previews, scanners and HEAD requests do not count)'),
  linksPreviewed: z.number().int().describe('calls whose short link a machine fetched: a messaging app preview, a URL scanner, a HEAD'),
  recontacts: z.number().int().describe("calls from a number texted (or called for a text) within the texting campaign's recontactDays"),
  conversationsStarted: z.number().int().describe('calls whose text led to a conversation the chat platform reported (README "Conversation outcomes")'),
  conversationsResolved: z.number().int().describe('calls whose conversation the chat platform reported resolved'),
  rates: z.object({
    acceptance: Rate.describe('accepted / offered'),
    delivery: Rate.describe('textsDelivered / textsSent'),
    clickThrough: Rate.describe('linksClicked / textsSent'),
    deflection: Rate.describe('textsSent / calls'),
  }),
});
export const FunnelReportView = z.object({
  by: z.enum(['day', 'hour', 'campaign', 'dnis']),
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  rows: z.array(FunnelRowView),
  total: FunnelRowView,
  rowsFolded: z
    .number()
    .int()
    .describe('by campaign or DNIS: rows past the first 200 (by calls) folded into the "(other)" row; 0 when every row is shown'),
  generatedAt: z.string(),
});

const CHANNEL = z.enum(['sms', 'whatsapp', 'rcs', 'c2m']);
const ChannelRowView = z.object({
  campaign: z.string().nullable().describe('by campaign: the campaign id; by channel: null'),
  channel: CHANNEL,
  label: z.string().describe('the channel as people call it ("WhatsApp")'),
  created: z.number().int().describe('messages created on this channel, fallbacks included'),
  sent: z.number().int().describe('accepted by the vendor'),
  delivered: z.number().int().describe('a receipt said delivered (read ones included)'),
  read: z.number().int().nullable().describe('a read receipt came (WhatsApp, RCS); null on channels without read receipts'),
  failed: z.number().int().describe('refused, undelivered or failed'),
  fellBack: z.number().int().describe('messages on this channel that a fallback message stood in for'),
  fallbacksIn: z.number().int().describe('fallback messages sent on this channel'),
  rates: z.object({
    delivery: Rate.describe('delivered / sent'),
    read: Rate.describe('read / delivered; null without read receipts'),
  }),
});
export const ChannelReportView = z.object({
  by: z.enum(['channel', 'campaign']),
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  rows: z.array(ChannelRowView),
  fallbacks: z.array(z.object({ campaign: z.string().nullable(), from: CHANNEL, to: CHANNEL, messages: z.number().int() })),
  generatedAt: z.string(),
});

const IntervalView = z.object({ low: z.number(), high: z.number() });
const StepStatsView = z.object({
  count: z.number().int(),
  rate: z.number().nullable(),
  interval: IntervalView.nullable(),
  vsBaseline: z
    .object({
      baseline: z.string(),
      difference: z.number(),
      z: z.number().nullable(),
      pValue: z.number().nullable(),
      significant: z.boolean(),
      neededPerArm: z.number().int().nullable(),
    })
    .nullable(),
});
const VariantRowView = z.object({
  campaign: z.string(),
  variant: z.string().nullable(),
  calls: z.number().int(),
  offered: z.number().int(),
  notOffered: z.record(z.string(), z.number().int()),
  accepted: z.number().int(),
  declined: z.number().int(),
  textsSent: z.number().int(),
  textsDelivered: z.number().int(),
  textsFailed: z.number().int(),
  linksClicked: z.number().int(),
  steps: z.object({ accepted: StepStatsView, textsSent: StepStatsView, textsDelivered: StepStatsView, linksClicked: StepStatsView }),
});
const VerdictView = z.union([
  z.object({ campaign: z.string(), variant: z.string(), baseline: z.string(), kind: z.literal('winner'), winner: z.string(), pValue: z.number() }),
  z.object({
    campaign: z.string(),
    variant: z.string(),
    baseline: z.string(),
    kind: z.literal('not-significant'),
    pValue: z.number().nullable(),
    neededPerArm: z.number().int().nullable(),
    moreCalls: z.object({ baseline: z.number().int(), variant: z.number().int() }).nullable(),
  }),
]);
export const VariantReportView = z.object({
  timeZone: z.string(),
  from: z.string(),
  to: z.string(),
  alpha: z.number(),
  primaryStep: z.string(),
  rows: z.array(VariantRowView),
  verdicts: z.array(VerdictView),
  generatedAt: z.string(),
});

export const SavingsView = z.object({
  from: z.string(),
  to: z.string(),
  timeZone: z.string(),
  campaign: z.string().nullable(),
  inputs: z.object({ voiceMinute: z.number(), handleMinutes: z.number(), chat: z.number(), text: z.number() }),
  deflected: z.number().int(),
  textsSent: z.number().int(),
  voiceCostAvoided: z.number(),
  chatCost: z.number(),
  textCost: z.number(),
  net: z.number(),
  netPerDeflectedCall: z.number().nullable(),
  generatedAt: z.string(),
});
const StuckRowView = z.object({
  campaignId: z.string(),
  recontactDays: z.number().int().describe("the campaign's recontact window, in days"),
  judged: z.number().int().describe('texted calls whose window has fully passed'),
  recontacted: z.number().int().describe('of those, the ones whose caller or texted number called again within the window'),
  stuck: z.number().int().describe('judged - recontacted: deflections that stuck'),
  stuckRate: Rate.describe('stuck / judged'),
  pending: z.number().int().describe('texted calls whose window is still open (not judged yet)'),
});
export const StuckReportView = z.object({
  from: z.string(),
  to: z.string(),
  note: z.string(),
  rows: z.array(StuckRowView),
  generatedAt: z.string(),
});
