import type { Page } from './model';
import { renderPage } from './render';

/**
 * renderPage with a memory. Documents of different calls differ only in the call id in
 * their URLs, so each shape (campaign, step, prompts) is rendered once and later calls
 * get the cached bytes with their own id put in: xmlbuilder2 is the costliest single part
 * of serving a document (about 65 µs of 300). Same page, same bytes as renderPage.
 */
export class PageRenderer {
  /**
   * Rendered documents split at the call id (and, for renderSlotted, first at the slot:
   * two halves, or none when the shape cannot be shared), by key; oldest first.
   */
  private readonly cache = new Map<string, string[] | string[][]>();

  constructor(private readonly maxEntries = 512) {}

  render(page: Page): string {
    const id = callIdOf(page);
    const json = JSON.stringify(page);
    // JSON escapes control characters, so a raw NUL can only be the blanked-out id.
    const key = id ? json.split(id).join('\u0000') : json;
    const parts = this.remembered(key, () => splitAt(renderPage(page), id)) as string[];
    return id ? parts.join(id) : (parts[0] as string);
  }

  /**
   * The document of a page known by a key rather than built: `key` names everything the
   * page depends on except the call id (`callId`), and `build` makes the page when this
   * shape has not been rendered yet. A cached shape costs neither a page model nor its
   * JSON. Same bytes as render(build()).
   */
  renderKeyed(key: string, callId: string, build: () => Page): string {
    let unshared: string | undefined;
    // JSON keys begin with "{": this prefix keeps the two kinds of key apart.
    const parts = this.remembered(`\u0001${key}`, () => {
      const page = build();
      const id = callIdOf(page);
      // A question whose URLs do not carry this call's id where callIdOf finds it (an id
      // too short to split on safely) cannot be shared between calls.
      if (page.kind === 'question' && id !== callId) {
        unshared = this.render(page);
        return undefined;
      }
      // An ending carries no call id (endPage is not given one): one document for all.
      return splitAt(renderPage(page), id);
    }) as string[] | undefined;
    if (!parts) return unshared as string;
    return parts.length === 1 ? (parts[0] as string) : parts.join(callId);
  }

  /**
   * A page known by a key, for any value of its one varying argument (RecipePage.slotValue:
   * an ending's masked number, the last four digits read back): `build` makes it with
   * SLOT in that argument's place, and the cached document gets `value` put in there and,
   * in a question, the call's id in its URLs. Undefined when the slot is not in the
   * document exactly once (remembered for the shape), or a question's URLs do not carry
   * `callId`: the caller then renders the page as it is.
   */
  renderSlotted(key: string, callId: string, value: string, build: () => Page): string | undefined {
    const pieces = this.remembered(`\u0002${key}`, () => {
      const page = build();
      const id = callIdOf(page);
      if (page.kind === 'question' && id !== callId) return undefined;
      const halves = renderPage(page).split(SLOT);
      // Not once (digits spoken one by one, or as recordings, spell the slot otherwise):
      // this shape is kept as not shareable, so its calls do not render it twice.
      return halves.length === 2 ? halves.map((half) => splitAt(half, id)) : [];
    }) as string[][] | undefined;
    if (pieces?.length !== 2) return undefined;
    const [before, after] = pieces as [string[], string[]];
    return `${before.join(callId)}${value}${after.join(callId)}`;
  }

  /**
   * The cached parts under `key`, made by `make` (and kept, the oldest entry dropped when
   * full) when there are none; `make` answering undefined keeps nothing.
   */
  private remembered(key: string, make: () => string[] | string[][] | undefined): string[] | string[][] | undefined {
    let parts = this.cache.get(key);
    if (parts) {
      this.cache.delete(key);
    } else {
      parts = make();
      if (!parts) return undefined;
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    }
    this.cache.set(key, parts);
    return parts;
  }
}

/**
 * Stands for a page's varying argument while its shared document is rendered: letters only,
 * so jsString and XML escaping leave it whole, and no prompt or URL of ours spells it.
 */
export const SLOT = 'RenderSlotQv7Zr';

/** A document split at the call id, to be joined with another call's; whole without one. */
function splitAt(xml: string, id: string | undefined): string[] {
  return id ? xml.split(id) : [xml];
}

/** The call a question page belongs to: its submit URL carries it as `call` (pages.ts stepUrl). */
function callIdOf(page: Page): string | undefined {
  if (page.kind !== 'question') return undefined;
  const query = page.submitUrl.split('?')[1] ?? '';
  // An id this short could be part of other text in the document; ours are 22 characters.
  const id = new URLSearchParams(query).get('call');
  return id && id.length >= 16 ? id : undefined;
}
