import { elements, type VxmlElement } from './dom';
import type { VxmlDocument } from './documents';
import type { ScopeObject } from './scope';

/**
 * The interpreter's state, shared by the FIA (interpreter.ts) and executable content
 * (executable.ts): the application and execution context a document runs in, and the
 * state of the dialog being run.
 */

export const INPUT_ITEMS: ReadonlySet<string> = new Set(['field', 'record', 'transfer', 'object', 'subdialog']);
export const FORM_ITEMS: ReadonlySet<string> = new Set([...INPUT_ITEMS, 'block', 'initial']);

/** The application a document belongs to: its root document and the application scope. */
export interface Application {
  /** The root document's URL, or the document's own when it names no root. */
  url: string;
  root?: VxmlDocument;
  scope: ScopeObject;
}

/** One execution context: the top-level call, or a subdialog running inside it. */
export interface Execution {
  app: Application;
  doc: VxmlDocument;
  docScope: ScopeObject;
  depth: number;
}

export interface FormItem {
  el: VxmlElement;
  /** The form item variable: the name attribute, or an internal name for unnamed items. */
  name: string;
}

/** The state of one dialog while the FIA runs it (reset each time the dialog is entered). */
export interface DialogState {
  exec: Execution;
  dialog: VxmlElement;
  scope: ScopeObject;
  items: FormItem[];
  promptCounts: Map<string, number>;
  eventCounts: Map<string, Map<string, number>>;
  nextItem?: string;
  /** The item being collected: events raised now are counted and caught for it. */
  current?: FormItem;
  /** Set by <reprompt> (or a default handler) while an event is being handled. */
  reprompt: boolean;
}

/** What executable content runs in: its document and, inside a dialog, the dialog's state. */
export interface Where {
  doc: VxmlDocument;
  state?: DialogState;
}

/** Form items in document order, unnamed ones given internal variable names. */
export function formItems(form: VxmlElement): FormItem[] {
  return elements(form)
    .filter((el) => FORM_ITEMS.has(el.name))
    .map((el) => ({ el, name: el.attrs.name ?? `_${el.name}${el.order}` }));
}

function propertyIn(holder: VxmlElement, name: string): string | undefined {
  return elements(holder, 'property').find((p) => p.attrs.name === name)?.attrs.value;
}

/**
 * A <property> in scope: the item's, the dialog's, the document's, the application
 * root's. Without a dialog (document initialisation), the document's and the root's.
 */
export function propertyInScope(name: string, where: Where, item?: FormItem): string | undefined {
  const { state, doc } = where;
  const holders = state ? [item?.el, state.dialog, state.exec.doc.root, state.exec.app.root?.root] : [doc.root];
  for (const holder of holders) {
    const value = holder ? propertyIn(holder, name) : undefined;
    if (value !== undefined) return value;
  }
  return undefined;
}
