import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The stylesheet of the short-link pages, inlined in each page: a phone that opens an
 * expired link gets one small answer, no second request. The pages' CSP allows exactly
 * this text by its hash, and nothing else inline.
 */

const CSS_FILE = path.resolve(__dirname, '../../templates/link-page.css');

export interface InlineStyle {
  css: string;
  /** The CSP source for it: `sha256-<base64>`. */
  hash: string;
}

let style: InlineStyle | undefined;

export function linkPageStyle(): InlineStyle {
  if (!style) {
    const css = fs.readFileSync(CSS_FILE, 'utf8');
    style = { css, hash: `sha256-${createHash('sha256').update(css).digest('base64')}` };
  }
  return style;
}
