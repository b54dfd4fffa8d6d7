import { Interpreter } from './interpreter';
import type { CallOutcome, SimulationOptions } from './types';

/** Runs one call from its start URL to its end, as a VoiceXML 2.1 browser would. */
export function simulateCall(options: SimulationOptions): Promise<CallOutcome> {
  return new Interpreter(options).run();
}
