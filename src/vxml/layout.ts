import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';

/**
 * Indents a document for people reading it, without putting one whitespace character
 * inside what the caller hears.
 *
 * xmlbuilder2's prettyPrint puts every child of mixed content on its own line, so
 * `<prompt>ending in <say-as>0001</say-as></prompt>` came out as three indented lines.
 * Whitespace in a prompt is text for the TTS engine: one interpreter read that as
 * "ending in0001" (it trims the text nodes either side of <say-as>). So the document is
 * serialized without prettyPrint, after this adds line breaks only between the children
 * of elements that hold nothing but elements, and never below a <prompt>: any element
 * with text of its own (a prompt, an <item>, a <log>) is written exactly as built.
 */

/** Elements whose content is spoken (or played): never laid out, whatever they hold. */
const SPOKEN = new Set(['prompt', 'audio', 'say-as']);
const INDENT = '  ';

/** The parts of the DOM (xmlbuilder2's own) this needs; the project does not load the DOM lib. */
interface LayoutNode {
  nodeType: number;
  localName?: string;
  childNodes: ArrayLike<LayoutNode>;
  ownerDocument: { createTextNode(text: string): LayoutNode } | null;
  insertBefore(node: LayoutNode, before: LayoutNode | null): LayoutNode;
}

const ELEMENT = 1;

export function indentElementContent(root: XMLBuilder): void {
  indent(root.node as unknown as LayoutNode, 0);
}

function indent(el: LayoutNode, depth: number): void {
  if (el.localName !== undefined && SPOKEN.has(el.localName)) return;
  const children = Array.from(el.childNodes);
  if (!children.length || children.some((c) => c.nodeType !== ELEMENT)) return;
  const doc = el.ownerDocument;
  if (!doc) return;
  const inner = `\n${INDENT.repeat(depth + 1)}`;
  for (const child of children) {
    el.insertBefore(doc.createTextNode(inner), child);
    indent(child, depth + 1);
  }
  el.insertBefore(doc.createTextNode(`\n${INDENT.repeat(depth)}`), null);
}
