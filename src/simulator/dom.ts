import { SaxesParser } from 'saxes';

/**
 * The simulator reads documents as a small immutable tree: element names are local names
 * (the VoiceXML and SRGS namespaces are treated alike, as browsers do), attributes are
 * plain strings and text nodes keep their raw text. The parser is strict like a real
 * browser's: a document that is not well-formed XML is a failed fetch, never a guess.
 */
export interface VxmlText {
  kind: 'text';
  text: string;
}

export interface VxmlElement {
  kind: 'element';
  name: string;
  attrs: Readonly<Record<string, string>>;
  children: readonly VxmlNode[];
  /** Position in document order, for "first in document order" rules and stable ids. */
  order: number;
}

export type VxmlNode = VxmlElement | VxmlText;

export class XmlParseError extends Error {}

type Building = { kind: 'element'; name: string; attrs: Record<string, string>; children: VxmlNode[]; order: number };

/** Parses a VoiceXML (or SRGS) document; throws XmlParseError when it is not well-formed. */
export function parseXml(xml: string): VxmlElement {
  const parser = new SaxesParser({ xmlns: true });
  const stack: Building[] = [];
  let root: Building | undefined;
  let order = 0;
  let failure: Error | undefined;
  parser.on('error', (err) => {
    failure ??= err;
  });
  parser.on('opentag', (tag) => {
    const attrs: Record<string, string> = {};
    for (const attr of Object.values(tag.attributes)) {
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue;
      // xml:lang and xml:base keep their prefix; other prefixes are dropped.
      attrs[attr.prefix === 'xml' ? `xml:${attr.local}` : attr.local] = attr.value;
    }
    const element: Building = { kind: 'element', name: tag.local, attrs, children: [], order: order++ };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else root = element;
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (text: string) => stack[stack.length - 1]?.children.push({ kind: 'text', text });
  parser.on('text', addText);
  parser.on('cdata', addText);
  try {
    parser.write(xml).close();
  } catch (err) {
    failure ??= err as Error;
  }
  if (failure) throw new XmlParseError(`not well-formed XML: ${failure.message.split('\n')[0]}`);
  if (!root) throw new XmlParseError('not well-formed XML: no root element');
  return root;
}

/** Child elements, optionally only those with one of the given names. */
export function elements(parent: VxmlElement, ...names: string[]): VxmlElement[] {
  return parent.children.filter(
    (c): c is VxmlElement => c.kind === 'element' && (names.length === 0 || names.includes(c.name)),
  );
}

/** All text inside an element (its descendants' too), with runs of white space collapsed. */
export function textContent(node: VxmlNode): string {
  const raw = (n: VxmlNode): string => (n.kind === 'text' ? n.text : n.children.map(raw).join(''));
  return raw(node).replace(/\s+/g, ' ').trim();
}
