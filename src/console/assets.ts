import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler } from 'express';

/**
 * The console's CSS and script, served by us (no CDN: the console must work on a closed
 * network, and a CSP will allow only 'self'). URLs carry a hash of the file, so browsers
 * may keep a file for a year and still fetch a new one the moment it changes.
 */

const ASSETS_DIR = path.resolve(__dirname, '../../templates/console/assets');
const versions = new Map<string, string>();

/** The versioned URL of an asset, e.g. `/admin/assets/console.css?v=3f2a9c1b04de`. */
export function assetUrl(name: string): string {
  let version = versions.get(name);
  if (!version) {
    version = createHash('sha256').update(fs.readFileSync(path.join(ASSETS_DIR, name))).digest('hex').slice(0, 12);
    versions.set(name, version);
  }
  return `/admin/assets/${name}?v=${version}`;
}

export function serveAssets(): RequestHandler {
  return express.static(ASSETS_DIR, {
    index: false,
    maxAge: '365d',
    immutable: true,
    // An unknown asset is a 404 here, not a trip through the sign-in page.
    fallthrough: false,
  });
}
