import { z } from 'zod';
import type { FunnelCounts, Store } from '../store/port';
import { FunnelFields, loadFunnelReport, withRangeUpTo } from './funnel-query';

/**
 * What deflection saves: a caller who opened the chat link (moved to chat) is a voice
 * call an agent did not handle, at the cost of a chat; every text sent costs a text.
 * Conservative on purpose: texts whose link was never opened save nothing (the caller
 * may have stayed or called back) but their cost counts. Pure: the funnel's total and
 * the cost inputs in, the estimate out. Costs are given per report (query parameters),
 * in one currency of the user's choosing; nothing is stored.
 */

const money = (what: string) => z.coerce.number().min(0).max(1_000_000).describe(what);

/** The cost inputs: all four, or none (then no estimate). */
export const SavingsFields = {
  voiceMinute: money('cost of one minute of an agent-handled voice call'),
  handleMinutes: z.coerce.number().min(0).max(600).describe('average handle time of a voice call, in minutes'),
  chat: money('cost of one chat conversation'),
  text: money('cost of one text message sent'),
};
export const SavingsInputs = z.object(SavingsFields);
export type SavingsInputs = z.infer<typeof SavingsInputs>;

export interface SavingsEstimate {
  inputs: SavingsInputs;
  /** Calls moved to chat: their link was opened. */
  deflected: number;
  textsSent: number;
  /** deflected × handleMinutes × voiceMinute */
  voiceCostAvoided: number;
  /** deflected × chat */
  chatCost: number;
  /** textsSent × text */
  textCost: number;
  /** voiceCostAvoided − chatCost − textCost (negative: deflection costs more than it saves). */
  net: number;
  /** net / deflected; null without deflected calls. */
  netPerDeflectedCall: number | null;
}

export function estimateSavings(counts: Pick<FunnelCounts, 'linksClicked' | 'textsSent'>, inputs: SavingsInputs): SavingsEstimate {
  const deflected = counts.linksClicked;
  const voiceCostAvoided = deflected * inputs.handleMinutes * inputs.voiceMinute;
  const chatCost = deflected * inputs.chat;
  const textCost = counts.textsSent * inputs.text;
  const net = voiceCostAvoided - chatCost - textCost;
  return {
    inputs,
    deflected,
    textsSent: counts.textsSent,
    voiceCostAvoided: cents(voiceCostAvoided),
    chatCost: cents(chatCost),
    textCost: cents(textCost),
    net: cents(net),
    netPerDeflectedCall: deflected === 0 ? null : cents(net / deflected),
  };
}

function cents(value: number): number {
  // + 0: no "-0" in the answer.
  return Math.round(value * 100) / 100 + 0;
}

/** GET /api/reports/savings: the funnel's range (at most 366 days, optionally one campaign) and the four costs. */
export const SavingsQuery = z
  .strictObject({
    from: FunnelFields.from,
    to: FunnelFields.to,
    timeZone: FunnelFields.timeZone,
    campaign: FunnelFields.campaign,
    ...SavingsFields,
  })
  .transform((q, ctx) => withRangeUpTo(q, ctx, MAX_SAVINGS_RANGE_DAYS, 'in a savings estimate'));

export const MAX_SAVINGS_RANGE_DAYS = 366;

/** The estimate for the calls that started in the range (of one campaign, if given). */
export async function loadSavings(
  store: Store,
  query: { start: Date; end: Date; from: string; to: string; timeZone: string; campaign?: string | undefined },
  inputs: SavingsInputs,
): Promise<SavingsEstimate> {
  const report = await loadFunnelReport(store, { ...query, by: 'campaign' });
  return estimateSavings(report.total, inputs);
}
