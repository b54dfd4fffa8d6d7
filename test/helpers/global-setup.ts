import { compileSrc } from './compiled-src';

/**
 * Once per jest run, before any test file (jest.config.js and jest.faults.config.js,
 * globalSetup): the process tests' server and CLIs compiled to JavaScript
 * (test/helpers/compiled-src.ts).
 */
export default function globalSetup(): void {
  compileSrc();
}
