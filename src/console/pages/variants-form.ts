import type { FieldError } from '../../http/validation';
import { str } from './form-defaults';

/**
 * The campaign form's variants (campaign.variants), as rows instead of JSON: id, weight,
 * the offer prompt's text and audio URL, and the SMS text. An offer written as a list of
 * parts has no place in these fields: a campaign with one keeps all its variants in the
 * advanced JSON, and the form says so.
 */

export interface VariantRow {
  id: string;
  weight: string;
  offerText: string;
  offerAudio: string;
  message: string;
}

export interface VariantsForm {
  rows: VariantRow[];
  /** Why the variants stay in the advanced JSON (an offer made of parts), or '' when the rows hold them. */
  inAdvanced: string;
  /** False when the post had no variant fields at all (a client of the older form): the variants stay as they were. */
  posted: boolean;
}

/** Whether the rows can show a variant exactly: its offer is a text, or one {text, audio}. */
function fitsRow(v: unknown): boolean {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const offer = (v as { offer?: unknown }).offer;
  if (offer === undefined || typeof offer === 'string') return true;
  // {text} alone is written back as the plain text, which means the same; keep it exact instead.
  return !!offer && typeof offer === 'object' && !Array.isArray(offer) && typeof (offer as { audio?: unknown }).audio === 'string';
}

/** Whether the variants of a document can be edited in the rows (else they stay in advanced). */
export function variantsFitForm(variants: unknown): boolean {
  return variants === undefined || (Array.isArray(variants) && variants.every(fitsRow));
}

export function variantsFormFromDocument(variants: unknown): VariantsForm {
  if (!variantsFitForm(variants)) {
    return { rows: [], posted: true, inAdvanced: 'A variant’s offer is a list of prompt parts, which these fields cannot show: its variants stay in the advanced settings below.' };
  }
  const rows = ((variants as unknown[] | undefined) ?? []).map((value) => {
    const v = value as { id?: unknown; weight?: unknown; offer?: unknown; message?: unknown };
    const offer = v.offer as string | { text?: unknown; audio?: unknown } | undefined;
    return {
      id: str(v.id),
      weight: v.weight === undefined ? '' : String(v.weight),
      offerText: typeof offer === 'string' ? offer : str(offer?.text),
      offerAudio: typeof offer === 'string' ? '' : str(offer?.audio),
      message: str(v.message),
    };
  });
  return { rows, inAdvanced: '', posted: true };
}

/** The rows as posted (variants.0.id...); a row left blank is dropped and the rest renumbered. */
export function variantsFormFromBody(b: Record<string, unknown>): VariantsForm {
  const indexes = new Set<number>();
  const posted = Object.keys(b).some((key) => key.startsWith('variants.'));
  for (const key of Object.keys(b)) {
    const m = /^variants\.(\d{1,3})\./.exec(key);
    if (m) indexes.add(Number(m[1]));
  }
  const rows = [...indexes]
    .sort((x, y) => x - y)
    .map((i) => ({
      id: str(b[`variants.${i}.id`]).trim(),
      weight: str(b[`variants.${i}.weight`]).trim(),
      offerText: str(b[`variants.${i}.offerText`]),
      offerAudio: str(b[`variants.${i}.offerAudio`]).trim(),
      message: str(b[`variants.${i}.message`]),
    }))
    .filter((r) => r.id || r.weight || r.offerText.trim() || r.offerAudio || r.message.trim());
  return { rows, inAdvanced: str(b['variants.inAdvanced']), posted };
}

/**
 * The document's `variants` (undefined: left out, as a file without variants keeps it), or
 * what the form itself can tell is wrong.
 */
export function variantsFromForm(
  form: VariantsForm,
  previous: unknown,
): { kind: 'built'; variants: unknown[] | undefined } | { kind: 'invalid'; fields: FieldError[] } {
  const prev = previous && typeof previous === 'object' ? (previous as Record<string, unknown>).variants : undefined;
  if (!form.posted) return { kind: 'built', variants: prev as unknown[] | undefined };
  const fields: FieldError[] = [];
  const variants = form.rows.map((row, i) => {
    if (!/^\d{1,9}$/.test(row.weight)) fields.push({ field: `variants.${i}.weight`, message: 'must be a whole number (0 pauses the variant)' });
    const text = row.offerText.trim();
    if (row.offerAudio && !text) fields.push({ field: `variants.${i}.offerText`, message: 'is needed with an audio URL: it is spoken when the audio cannot be played' });
    const offer = row.offerAudio ? { text, audio: row.offerAudio } : text || undefined;
    const message = row.message.trim() ? row.message : undefined;
    return { id: row.id, weight: Number(row.weight), ...(offer ? { offer } : {}), ...(message ? { message } : {}) };
  });
  if (fields.length) return { kind: 'invalid', fields };
  return { kind: 'built', variants: variants.length === 0 && prev === undefined ? undefined : variants };
}

/** "about 1 call in 3" for a weight of 1 among 1+2: the nearest fraction with a small denominator. */
export function shareInWords(weight: number, total: number): string {
  if (!(weight > 0) || !(total > 0)) return 'paused: no calls';
  const share = weight / total;
  if (share >= 1) return 'every call';
  let best = { n: 1, d: 1, error: Infinity };
  for (let d = 2; d <= 20; d++) {
    const n = Math.max(1, Math.min(d - 1, Math.round(share * d)));
    const error = Math.abs(n / d - share);
    if (error < best.error - 1e-9) best = { n, d, error };
  }
  const exact = best.error < 1e-9;
  return `${exact ? '' : 'about '}${best.n} ${best.n === 1 ? 'call' : 'calls'} in ${best.d}`;
}

/** Each row's share of calls in words, for the rows as they stand. */
export function variantShares(form: VariantsForm): string[] {
  const weights = form.rows.map((r) => (/^\d+$/.test(r.weight) ? Number(r.weight) : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => shareInWords(w, total));
}

/** The form field a schema error is about: offer errors go beside the offer's text. */
export function variantsErrorKey(field: string): string {
  const m = /^variants\.(\d+)\.(id|weight|offer|message|offerText|offerAudio)(\..*)?$/.exec(field);
  if (!m) return 'variants';
  if (m[2] === 'offerText' || m[2] === 'offerAudio') return field;
  if (m[2] === 'offer') return `variants.${m[1]}.${m[3] === '.audio' ? 'offerAudio' : 'offerText'}`;
  return `variants.${m[1]}.${m[2]}`;
}
