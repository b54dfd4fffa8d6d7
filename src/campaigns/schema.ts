import { z } from 'zod';
import { C2M_FIELD_LIMITS } from '../channels/c2m-offer';
import { isCountryCode } from '../phone';
import { mobileDigitsIn } from '../mobile-digits';
import type { CountryCode } from 'libphonenumber-js/max';
import { AvailabilitySettings } from '../availability/settings';
import { OpeningHoursSchema } from '../availability/schedule';
import { isTimeZone } from '../time-zone';
import { GATEWAY_NAMES } from '../sms/gateway-config';
import { PLATFORM_NAMES } from '../vxml/platforms/profiles';
import { PROMPT_NAMES, PROMPT_PLACEHOLDERS, defaultPromptsFor, hasDefaultPrompts, type PromptName } from './default-prompts';
import type { ChannelName } from '../channels/channel';

/** Values the interaction link template may use; each is URL-encoded when filled. */
export const LINK_PLACEHOLDERS = ['callerId', 'mobile', 'dnis', 'callId', 'campaignId', 'contextToken'] as const;
export const MESSAGE_PLACEHOLDERS = ['link'] as const;

const PLACEHOLDER = /\{([^{}]*)\}/g;

export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/**
 * URLs that end up in VoiceXML attributes (audio, return URLs) must be valid xsd:anyURI
 * as well as parseable: no spaces, no "[" or "]" outside an IPv6 host, "%" only as an
 * escape. Browsers refuse documents that break this.
 */
const httpUrl = z
  .string()
  .refine((v) => /^https?:\/\//i.test(v) && URL.canParse(v), 'must be an absolute http(s) URL')
  .refine(
    (v) => !/[\s<>"{}|\\^`[\]]|%(?![0-9A-Fa-f]{2})/.test(v.replace(/^https?:\/\/\[[0-9A-Fa-f:.]+\]/i, '')),
    'must not contain spaces, brackets or a "%" that is not an escape (percent-encode them)',
  );

/** One piece of a prompt: plain text, or recorded audio with its text as the fallback. */
const PromptPart = z.union([
  z.string().min(1),
  z.strictObject({
    text: z.string().min(1).describe('Spoken by text-to-speech, and the fallback when the audio cannot be played'),
    audio: httpUrl.optional().describe('Recorded prompt (WAV/MP3 URL the IVR platform can fetch)'),
  }),
]);
const Prompt = z.union([PromptPart, z.array(PromptPart).min(1)]);
export type PromptOverride = z.infer<typeof Prompt>;

const promptShape = Object.fromEntries(PROMPT_NAMES.map((name) => [name, Prompt.optional()])) as Record<
  PromptName,
  z.ZodOptional<typeof Prompt>
>;

const dtmfKey = z.string().regex(/^[0-9*]$/, 'must be one DTMF key: 0-9 or *');

const EndAction = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('hangup') }),
  z.strictObject({ action: z.literal('exit') }),
  z.strictObject({ action: z.literal('goto'), url: httpUrl }),
]);
export type EndAction = z.infer<typeof EndAction>;

function textsOf(prompt: PromptOverride): string[] {
  const parts = Array.isArray(prompt) ? prompt : [prompt];
  return parts.map((p) => (typeof p === 'string' ? p : p.text));
}

/** A prompt's wording as one line (consent evidence records what the caller heard). */
export function promptText(prompt: PromptOverride): string {
  return textsOf(prompt).join(' ');
}

const SmsText = z
  .string()
  .min(1)
  .max(1600)
  .refine((m) => m.includes('{link}'), 'must contain {link}')
  .refine(
    (m) => placeholdersIn(m).every((p) => (MESSAGE_PLACEHOLDERS as readonly string[]).includes(p)),
    'may only use the placeholder {link}',
  );

const countryCode = z
  .string()
  .transform((c) => c.toUpperCase())
  .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code such as US');

/** "At most max texts within so many minutes." */
const Window = z.strictObject({
  max: z.number().int().min(1).max(1000),
  withinMinutes: z.number().int().min(1).max(43200),
});

/**
 * Caps every campaign gets unless it sets its own (null removes one on purpose): a script
 * walking calls through a campaign can cost the brand at most this many texts an hour.
 * Sized for a busy queue (a text a minute, for ten hours a day); raise them for more.
 */
/** A context name as the IVR sends it after "ctx.": short, a letter first, no dots. */
export const CONTEXT_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;
export const MAX_CONTEXT_NAMES = 20;
export const DEFAULT_CONTEXT_MAX_LENGTH = 64;

/**
 * Context for the agent (README "Context for the agent"): only the names in allow are
 * kept, each value at most maxLength characters.
 */
const IvrContextSettings = z.strictObject({
  allow: z
    .array(z.string().regex(CONTEXT_NAME, 'must be a letter then up to 31 letters, digits, _ or -'))
    .min(1)
    .max(MAX_CONTEXT_NAMES)
    .refine((names) => new Set(names).size === names.length, 'names must not repeat')
    .describe('The context names kept (ctx.<name> on the start URL or form); anything else is dropped and counted'),
  maxLength: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(DEFAULT_CONTEXT_MAX_LENGTH)
    .describe('Longest value kept, in characters: a longer value is dropped, not cut'),
});
export type IvrContextSettings = z.infer<typeof IvrContextSettings>;

export const DEFAULT_HOURLY_CAP = 60;
export const DEFAULT_DAILY_CAP = 600;
/** The limits of a campaign that sets none (the console's limits editor shows them too). */
export const DEFAULT_LIMITS = {
  perDestination: [
    { max: 1, withinMinutes: 10 },
    { max: 3, withinMinutes: 1440 },
  ],
  perCaller: [{ max: 3, withinMinutes: 1440 }],
  hourlyCap: DEFAULT_HOURLY_CAP,
  dailyCap: DEFAULT_DAILY_CAP,
} as const;

const Limits = z
  .strictObject({
    perDestination: z
      .array(Window)
      .default([
        { max: 1, withinMinutes: 10 },
        { max: 3, withinMinutes: 1440 },
      ])
      .describe('Texts to one number, from any campaign ([] = no limit)'),
    perCaller: z
      .array(Window)
      .default([{ max: 3, withinMinutes: 1440 }])
      .describe('Texts for calls from one caller number (ANI), to any destination'),
    hourlyCap: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(DEFAULT_HOURLY_CAP)
      .describe(`Texts this campaign may send in any rolling hour (default ${DEFAULT_HOURLY_CAP}; null: no hourly cap)`),
    dailyCap: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(DEFAULT_DAILY_CAP)
      .describe(
        `Texts this campaign may send per day, midnight to midnight in the campaign's timeZone (default ${DEFAULT_DAILY_CAP}; null: no daily cap)`,
      ),
  })
  .default(() => ({ ...DEFAULT_LIMITS, perDestination: [...DEFAULT_LIMITS.perDestination], perCaller: [...DEFAULT_LIMITS.perCaller] }));

/**
 * Every document that listens says how long it waits, rather than leaving it to the
 * platform: the VoiceXML defaults of `timeout` and `interdigittimeout` are the platform's
 * own (W3C VoiceXML 2.0 §6.3.4, https://www.w3.org/TR/voicexml20/#dml6.3.4), Nuance's is
 * 7 s (https://docs.nuance.com/speech-suite/nr-config/cfg-timeout.html), and on one with
 * 30-second defaults three silences at a question took 92 s.
 */
export const DEFAULT_NO_INPUT_SECONDS = 5;
export const DEFAULT_INTER_DIGIT_SECONDS = 3;

const Timers = z
  .strictObject({
    noInputSeconds: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(DEFAULT_NO_INPUT_SECONDS)
      .describe(`Silence after a question before it counts as no input: VoiceXML timeout (default ${DEFAULT_NO_INPUT_SECONDS})`),
    interDigitSeconds: z
      .number()
      .int()
      .min(1)
      .max(15)
      .default(DEFAULT_INTER_DIGIT_SECONDS)
      .describe(
        `Pause between keys that ends a number entered without pound: VoiceXML interdigittimeout (default ${DEFAULT_INTER_DIGIT_SECONDS})`,
      ),
  })
  .default({ noInputSeconds: DEFAULT_NO_INPUT_SECONDS, interDigitSeconds: DEFAULT_INTER_DIGIT_SECONDS });

const Variant = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be lowercase letters, digits and dashes (at most 32)'),
  weight: z.number().int().min(0).max(1000).describe('Relative share of calls (0 pauses the variant)'),
  offer: Prompt.optional().describe("This variant's offer prompt (default: the campaign's)"),
  message: SmsText.optional().describe("This variant's SMS text (default: the campaign's)"),
});
export type Variant = z.infer<typeof Variant>;

/**
 * Channels (issue 18). Without `channels` a campaign texts, exactly as before. With it the
 * caller gets the link on the listed channels: "fallback" sends on the first entry and,
 * once, on the next one if the first does not get through; "choice" lets the caller pick
 * one by its key at the offer.
 */
export const MESSAGE_TEMPLATE_PLACEHOLDERS = ['link', 'code'] as const;
export const DEFAULT_FALLBACK_AFTER_SECONDS = 120;

/** Per-entry prompt overrides: the offer (choice mode: this channel's line of it) and "sent". */
const ChannelPrompts = z
  .strictObject({
    offer: Prompt.optional().describe("Fallback mode (first entry): the offer; choice mode: this channel's line of the offer"),
    sent: Prompt.optional().describe('Said when the message went out on this channel'),
  })
  .optional();

/** Wording spoken with the offer, before the key that accepts takes effect: the opt-in. */
const Consent = z.string().min(1).max(500);

/** A template variable: text that may use {link} (the short link) and {code} (its code). */
const TemplateValue = z
  .string()
  .min(1)
  .max(1000)
  .refine(
    (v) => placeholdersIn(v).every((p) => (MESSAGE_TEMPLATE_PLACEHOLDERS as readonly string[]).includes(p)),
    'may only use the placeholders {link} and {code}',
  );

const channelCommon = {
  key: dtmfKey.optional().describe('Choice mode: the key that picks this channel'),
  prompts: ChannelPrompts,
};

const SmsChannel = z.strictObject({
  channel: z.literal('sms'),
  gateway: z.enum(GATEWAY_NAMES).optional().describe("Default: the campaign's gateway"),
  message: SmsText.optional().describe("Default: the campaign's message"),
  consent: Consent.optional(),
  ...channelCommon,
});

const WhatsAppChannel = z.strictObject({
  channel: z.literal('whatsapp'),
  gateway: z.enum(['whatsapp-cloud', 'twilio', 'vonage-messages', 'sandbox']),
  template: z.strictObject({
    name: z.string().min(1).max(512).describe("The approved template's name (Twilio: the Content SID, HX...)"),
    language: z
      .string()
      .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'must be a WhatsApp language code such as en_US, es or pt_BR')
      .describe("The template's language as WhatsApp spells it: en_US, es, pt_BR"),
    body: z.array(TemplateValue).max(20).describe('The body variables {{1}}, {{2}}, ... in order; {link} and {code} are filled'),
    urlButton: TemplateValue.optional().describe("The URL button's variable, usually {code} (the button's base URL is PUBLIC_BASE_URL/s/)"),
  }),
  consent: Consent.describe('Required: WhatsApp needs the caller to opt in; spoken with the offer'),
  ...channelCommon,
});

const RcsChannel = z.strictObject({
  channel: z.literal('rcs'),
  gateway: z.enum(['twilio', 'vonage-messages', 'sandbox']),
  message: SmsText,
  smsFallbackByVendor: z
    .boolean()
    .default(true)
    .describe('Let the vendor turn the message into an SMS when the handset cannot take RCS'),
  consent: Consent.optional(),
  ...channelCommon,
});

const C2mChannel = z.strictObject({
  channel: z.literal('c2m'),
  // LivePerson's limits (C2M_FIELD_LIMITS): a longer one would be refused at every call.
  skill: z.string().min(1).max(C2M_FIELD_LIMITS.skill).describe('LivePerson skill the conversation goes to'),
  handoffId: z.string().min(1).max(C2M_FIELD_LIMITS.handoffId).describe('LivePerson Connect-to-Messaging handoff id'),
  overrideChannel: z.enum(['sms', 'whatsapp']).optional().describe("Ask LivePerson for this channel instead of its choice"),
  consent: Consent.optional(),
  ...channelCommon,
});

const ChannelEntry = z.discriminatedUnion('channel', [SmsChannel, WhatsAppChannel, RcsChannel, C2mChannel]);
export type ChannelEntry = z.output<typeof ChannelEntry>;

const Channels = z.strictObject({
  mode: z.enum(['fallback', 'choice']).default('fallback').describe('fallback: the first, then the next once; choice: the caller picks'),
  fallbackAfterSeconds: z
    .number()
    .int()
    .min(10)
    .max(86400)
    .default(DEFAULT_FALLBACK_AFTER_SECONDS)
    .describe(`Fallback mode: no delivery receipt this long after the first message, the next channel is tried once (default ${DEFAULT_FALLBACK_AFTER_SECONDS})`),
  list: z.array(ChannelEntry).min(1).max(4).describe('The channels, in order; each at most once'),
});
export type Channels = z.output<typeof Channels>;

/** Every channel rule that needs the whole campaign (keys, languages), with its path. */
function checkChannels(c: z.output<typeof CampaignBase>, ctx: z.RefinementCtx): void {
  const channels = c.channels;
  if (!channels) return;
  const at = (...path: (string | number)[]) => ['channels', ...path];
  const seen = new Set<ChannelName>();
  const keys = new Map<string, number>();
  const hasDefaults = hasDefaultPrompts(c.language);
  channels.list.forEach((entry, i) => {
    if (seen.has(entry.channel)) {
      ctx.addIssue({ code: 'custom', path: at('list', i, 'channel'), message: `"${entry.channel}" is listed twice` });
    }
    seen.add(entry.channel);
    if (channels.mode === 'fallback' && entry.key !== undefined) {
      ctx.addIssue({ code: 'custom', path: at('list', i, 'key'), message: 'is only for choice mode (fallback mode uses keys.accept)' });
    }
    if (channels.mode === 'choice') {
      if (entry.key === undefined) {
        ctx.addIssue({ code: 'custom', path: at('list', i, 'key'), message: 'is required in choice mode' });
      } else if (entry.key === c.keys.decline) {
        ctx.addIssue({ code: 'custom', path: at('list', i, 'key'), message: `must differ from the decline key ${c.keys.decline}` });
      } else if (keys.has(entry.key)) {
        ctx.addIssue({ code: 'custom', path: at('list', i, 'key'), message: `${entry.key} is already the key of list[${keys.get(entry.key)}]` });
      } else {
        keys.set(entry.key, i);
      }
    }
    for (const name of ['offer', 'sent'] as const) {
      const prompt = entry.prompts?.[name];
      const unknown = prompt ? textsOf(prompt).flatMap(placeholdersIn) : [];
      if (unknown.length) ctx.addIssue({ code: 'custom', path: at('list', i, 'prompts', name), message: `unknown placeholder {${unknown[0]}}` });
    }
    // Without default wording for the language, what would be a default must be written.
    if (!hasDefaults && entry.channel !== 'sms') {
      if (!entry.prompts?.sent) {
        ctx.addIssue({ code: 'custom', path: at('list', i, 'prompts', 'sent'), message: `is required: there are no default prompts for language ${c.language}` });
      }
      if (channels.mode === 'fallback' && i === 0 && !entry.prompts?.offer) {
        ctx.addIssue({ code: 'custom', path: at('list', i, 'prompts', 'offer'), message: `is required: there are no default prompts for language ${c.language}` });
      }
    }
  });
}

const CampaignBase = z
  .strictObject({
    $schema: z.string().optional().describe('Path to campaign.schema.json, for editors'),
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (at most 63)')
      .describe('Stable identifier, used in reports and links'),
    name: z.string().min(1).max(200),
    active: z.boolean().default(true).describe('An inactive campaign hands every call back at once'),
    dnis: z
      .array(z.string().min(1))
      .min(1)
      .describe('Dialled numbers that select this campaign, in any common format (E.164, national, tel: URI)'),
    message: SmsText.describe('SMS text; {link} is replaced by the short link'),
    link: z
      .string()
      .refine(
        (l) => placeholdersIn(l).every((p) => (LINK_PLACEHOLDERS as readonly string[]).includes(p)),
        `may only use the placeholders ${LINK_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
      )
      .refine((l) => {
        const sample = l.replace(PLACEHOLDER, 'x');
        return /^https?:\/\//i.test(sample) && URL.canParse(sample);
      }, 'must be an absolute http(s) URL once its placeholders are filled')
      .describe(
        'Interaction URL template: {callerId} {mobile} {dnis} {callId} {campaignId} {contextToken}, URL-encoded when filled',
      ),
    language: z
      .string()
      .default('en-US')
      .refine((l) => {
        try {
          return Intl.getCanonicalLocales(l).length === 1;
        } catch {
          return false;
        }
      }, 'must be a BCP-47 language tag such as en-US')
      .describe('BCP-47 language of the prompts (xml:lang of every document)'),
    country: countryCode
      .default('US')
      .describe('Country used to read numbers given without a country code'),
    allowedCountries: z
      .array(countryCode)
      .min(1)
      .optional()
      .describe('Countries whose numbers may be texted (default: only the campaign country)'),
    ownNumbers: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "The brand's own numbers: a call presenting one (a forwarded call) is asked for a mobile number instead; the campaign's dnis count too",
      ),
    timeZone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as America/New_York')
      .optional()
      .describe('IANA time zone of the opening hours and the daily cap (default UTC; required with hours)'),
    hours: OpeningHoursSchema.optional().describe('Opening hours: outside them calls are handed back without an offer'),
    availability: AvailabilitySettings.default({ kind: 'static' }).describe(
      'Whether agents are there: static (always offer), liveperson (IVR Engagement API) or http (any JSON endpoint)',
    ),
    limits: Limits.describe('Caps on texts, checked atomically at the send step'),
    linkTtlMinutes: z
      .number()
      .int()
      .min(1)
      .max(43200)
      .optional()
      .describe('Short links stop working this long after the text (default: never; a chat URL with a validity bounds it too)'),
    recontactDays: z
      .number()
      .int()
      .min(1)
      .max(90)
      .default(7)
      .describe('A call from a texted caller or texted number within this many days of the text is a recontact (the deflection did not stick)'),
    expiredLink: z
      .strictObject({
        message: z.string().min(1).max(500).optional().describe('Replaces the default text of the expired-link page'),
        phone: z.string().min(1).max(40).optional().describe('A number to call, shown as a tap-to-call link'),
        url: httpUrl.optional().describe('A page where the customer can reach you'),
      })
      .default({})
      .describe('What the page of an expired link tells the customer'),
    variants: z
      .array(Variant)
      .default([])
      .describe('Weighted variants of the offer prompt and SMS text; the variant is recorded on each call'),
    prompts: z
      .strictObject(promptShape)
      .default({})
      .describe('Prompt overrides: text, {text, audio}, or a list of such parts'),
    keys: z
      .strictObject({
        accept: dtmfKey.default('1'),
        decline: dtmfKey.default('2'),
        confirm: dtmfKey.default('1'),
        change: dtmfKey.default('2'),
      })
      .default({ accept: '1', decline: '2', confirm: '1', change: '2' })
      .refine((k) => k.accept !== k.decline, { message: 'accept and decline must differ', path: ['decline'] })
      .refine((k) => k.confirm !== k.change, { message: 'confirm and change must differ', path: ['change'] })
      .describe('DTMF keys of the offer (accept/decline) and of the number confirmation (confirm/change)'),
    maxNumberAttempts: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(3)
      .describe('How many invalid numbers a caller may enter before the call is handed back'),
    maxRetries: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(3)
      .describe('No-input or no-match events at one question before the call is handed back'),
    timers: Timers.describe('How long a question waits for the caller: written into every document that listens'),
    gateway: z
      .enum(GATEWAY_NAMES)
      .optional()
      .describe('SMS gateway for this campaign (default: SMS_GATEWAY); its credentials come from the environment'),
    fallbackGateway: z
      .enum([...GATEWAY_NAMES, 'none'])
      .optional()
      .describe('Where texts go while the gateway keeps failing (default: SMS_FALLBACK_GATEWAY; "none" turns failover off)'),
    holdAudio: httpUrl.optional().describe('Audio played (fetchaudio) while the text is being sent'),
    platform: z
      .enum(PLATFORM_NAMES)
      .optional()
      .describe('IVR platform family the documents are written for (default generic; platform= on the start URL overrides it)'),
    digitAudio: httpUrl
      .optional()
      .describe('Base URL of recorded digits 0.wav to 9.wav, for reading numbers back (TTS is the fallback)'),
    onSent: EndAction.default({ action: 'hangup' }).describe('How the call ends after the text is sent (goto mode)'),
    onHandBack: EndAction.default({ action: 'exit' }).describe(
      'How the call goes back to the IVR when not deflected (goto mode)',
    ),
    channels: Channels.optional().describe('Channels beyond SMS: WhatsApp, RCS, LivePerson Connect-to-Messaging (absent: SMS only)'),
    context: IvrContextSettings.optional().describe(
      'Named context the IVR may pass at start (ctx.<name>=value), kept for the agent (absent: none is kept)',
    ),
  });

export const CampaignSchema = CampaignBase.superRefine((c, ctx) => {
    checkChannels(c, ctx);
    if (c.hours && !c.timeZone) {
      ctx.addIssue({ code: 'custom', path: ['timeZone'], message: 'is required when hours are set' });
    }
    const ids = c.variants.map((v) => v.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: 'custom', path: ['variants', i, 'id'], message: `"${id}" is used twice` });
    });
    if (c.variants.length && c.variants.every((v) => v.weight === 0)) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'at least one variant needs a weight above 0' });
    }
    c.variants.forEach((v, i) => {
      const unknown = v.offer ? textsOf(v.offer).flatMap(placeholdersIn) : [];
      if (unknown.length) {
        ctx.addIssue({ code: 'custom', path: ['variants', i, 'offer'], message: `unknown placeholder {${unknown[0]}}` });
      }
    });
    const hasDefaults = hasDefaultPrompts(c.language);
    for (const name of PROMPT_NAMES) {
      const override = c.prompts[name];
      if (!override) {
        if (!hasDefaults) {
          ctx.addIssue({
            code: 'custom',
            path: ['prompts', name],
            message: `is required: there are no default prompts for language ${c.language}`,
          });
        }
        continue;
      }
      const allowed = PROMPT_PLACEHOLDERS[name];
      const used = textsOf(override).flatMap(placeholdersIn);
      const unknown = used.filter((p) => !allowed.includes(p));
      if (unknown.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['prompts', name],
          message: `unknown placeholder {${unknown[0]}}${allowed.length ? `; allowed: {${allowed.join('}, {')}}` : ''}`,
        });
      }
    }
  });

export type Campaign = z.output<typeof CampaignSchema>;
export type CampaignInput = z.input<typeof CampaignSchema>;

/**
 * The prompt a call hears: the campaign's override, else the language default worded for
 * the campaign (its keys, its country's mobile number length).
 */
export function promptFor(campaign: Campaign, name: PromptName): PromptOverride {
  const override = campaign.prompts[name];
  if (override) return override;
  const defaults = defaultPromptsFor(campaign.language, {
    keys: campaign.keys,
    mobileDigits: mobileDigitsIn(campaign.country as CountryCode),
  });
  // The schema refuses campaigns that lack both, so this only guards against misuse.
  if (!defaults) throw new Error(`campaign ${campaign.id} has no prompt ${name}`);
  return defaults[name];
}
