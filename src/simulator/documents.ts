import { elements, parseXml, XmlParseError, type VxmlElement } from './dom';
import { VxmlEvent } from './events';

/** A fetched and parsed VoiceXML document. */
export interface VxmlDocument {
  url: string;
  root: VxmlElement;
  /** The application root document's URL, resolved, when the document names one. */
  applicationUrl?: string;
  /** form and menu elements in document order. */
  dialogs: VxmlElement[];
}

const DIALOGS = ['form', 'menu'];

/** Parses a fetched document; anything that is not a VoiceXML document is a failed fetch. */
export function readDocument(url: string, text: string): VxmlDocument {
  let root: VxmlElement;
  try {
    root = parseXml(text);
  } catch (err) {
    if (err instanceof XmlParseError) throw new VxmlEvent('error.badfetch', `${url}: ${err.message}`);
    throw err;
  }
  if (root.name !== 'vxml') throw new VxmlEvent('error.badfetch', `${url}: the root element is <${root.name}>, not <vxml>`);
  // An application root document may have no dialogs; jumping into one is the error (findDialog).
  const dialogs = elements(root, ...DIALOGS);
  const base = documentBase(url, root);
  return {
    url,
    root,
    applicationUrl: root.attrs.application ? new URL(root.attrs.application, base).toString() : undefined,
    dialogs,
  };
}

/** The base for relative URIs in a document: xml:base when given, else its own URL. */
export function documentBase(url: string, root: VxmlElement): string {
  const base = root.attrs['xml:base'];
  return base ? new URL(base, url).toString() : url;
}

/** The dialog a URI fragment names, or the first dialog when there is no fragment. */
export function findDialog(doc: VxmlDocument, id: string | undefined): VxmlElement | undefined {
  return id ? doc.dialogs.find((d) => d.attrs.id === id) : doc.dialogs[0];
}

/** A dialog's name for transcripts: its id, or its position in the document. */
export function dialogName(doc: VxmlDocument, dialog: VxmlElement): string {
  return dialog.attrs.id ?? `${dialog.name}#${doc.dialogs.indexOf(dialog) + 1}`;
}

/** Splits "next.vxml#ask" into the document URL (resolved) and the dialog id. */
export function splitTarget(uri: string, base: string): { url?: string; fragment?: string } {
  if (uri.startsWith('#')) return { fragment: uri.slice(1) || undefined };
  const resolved = new URL(uri, base);
  const fragment = resolved.hash ? decodeURIComponent(resolved.hash.slice(1)) : undefined;
  resolved.hash = '';
  return { url: resolved.toString(), fragment };
}

/**
 * VoiceXML time designations ("5s", "500ms", "2.5s") in milliseconds; undefined when the
 * text is not one (the caller keeps its default, as platforms ignore bad property values).
 */
export function parseTime(text: string | undefined): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/.exec(text ?? '');
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2] === 's' ? value * 1000 : value;
}
