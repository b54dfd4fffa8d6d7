import type { VxmlElement, VxmlNode } from './dom';

/** A menu choice or field option as <enumerate> sees it (VoiceXML 2.0 §2.2.4). */
export interface Enumerated {
  prompt: string;
  dtmf: string;
}

export interface SpeechContext {
  evaluate(expr: string): unknown;
  /** Runs `body` with extra variables in scope (_prompt/_dtmf, a foreach item). */
  withVariables(variables: Record<string, unknown>, body: () => string): string;
  /** The choices or options <enumerate> lists, when inside a menu or a field with options. */
  enumerated?: readonly Enumerated[];
}

/** Text of an ECMAScript value as a prompt speaks it. */
export function spoken(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(spoken).join(' ');
  return String(value);
}

/**
 * What the caller hears from prompt content, as text. SSML markup keeps its words
 * (<sub> speaks its alias), <value> is evaluated, and <audio> is shown as "[audio src]"
 * followed by its fallback: a tester sees both which recording plays and what the
 * platform says instead when it cannot play it.
 */
export function speak(nodes: readonly VxmlNode[], ctx: SpeechContext): string {
  return nodes.map((node) => speakNode(node, ctx)).join('');
}

function speakNode(node: VxmlNode, ctx: SpeechContext): string {
  if (node.kind === 'text') return node.text;
  const el: VxmlElement = node;
  switch (el.name) {
    case 'value':
      return ` ${spoken(ctx.evaluate(el.attrs.expr ?? 'undefined'))} `;
    case 'audio': {
      const src = el.attrs.src ?? (el.attrs.expr ? spoken(ctx.evaluate(el.attrs.expr)) : '');
      return ` [audio ${src}] ${speak(el.children, ctx)} `;
    }
    case 'sub':
      return ` ${el.attrs.alias ?? speak(el.children, ctx)} `;
    case 'break':
    case 'mark':
    case 'metadata':
    case 'meta':
    case 'desc':
      return ' ';
    case 'say-as': {
      const words = speak(el.children, ctx);
      // Digit by digit, as platforms read vxml:digits (and SSML's "digits"/"characters").
      const spell = ['vxml:digits', 'digits', 'characters'].includes(el.attrs['interpret-as'] ?? '');
      return ` ${spell ? words.replace(/\s+/g, '').split('').join(' ') : words} `;
    }
    case 'enumerate':
      return ` ${enumerate(el, ctx)} `;
    case 'foreach': {
      const array = ctx.evaluate(el.attrs.array ?? '[]');
      const items = Array.isArray(array) ? array : [];
      const name = el.attrs.item ?? '_item';
      return items.map((item) => ctx.withVariables({ [name]: item }, () => speak(el.children, ctx))).join(' ');
    }
    default:
      // say-as, emphasis, prosody, voice, s, p, lang, prompt: their words.
      return ` ${speak(el.children, ctx)} `;
  }
}

/**
 * <enumerate/> without content: the platform's default. Mainstream platforms read each
 * choice's text in turn; we add the key so a tester sees what to press, e.g.
 * "sports (press 1), weather (press 2)".
 */
function enumerate(el: VxmlElement, ctx: SpeechContext): string {
  const choices = ctx.enumerated ?? [];
  if (el.children.length === 0) {
    return choices.map((c) => (c.dtmf ? `${c.prompt} (press ${c.dtmf})` : c.prompt)).join(', ');
  }
  return choices.map((c) => ctx.withVariables({ _prompt: c.prompt, _dtmf: c.dtmf }, () => speak(el.children, ctx))).join(' ');
}

export function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/ ([.,;:!?])/g, '$1').trim();
}
