import type { VxmlNode } from './dom';
import type { Sandbox, ScopeChain } from './scope';
import { collapse, speak, type Enumerated } from './speech';
import type { SimulationOptions, TranscriptEntry } from './types';

/**
 * The caller's side of the line: the prompt queue, the transcript, and whether the line
 * is still up. Queued prompts play when the browser waits (to listen, to fetch, at the
 * end); what is queued after the line dropped is heard by nobody and not shown.
 */
export class CallChannel {
  readonly transcript: TranscriptEntry[] = [];
  /** The caller hung up. */
  hungUp = false;
  /** The document disconnected, handing back these values. */
  disconnected?: Record<string, unknown>;
  private queue: string[] = [];

  constructor(
    private readonly sandbox: Sandbox,
    private readonly onEntry: SimulationOptions['onEntry'],
  ) {}

  record(entry: TranscriptEntry): void {
    this.transcript.push(entry);
    this.onEntry?.(entry);
  }

  queuePrompt(nodes: readonly VxmlNode[], chain: ScopeChain, enumerated?: readonly Enumerated[]): void {
    const text = this.speakText(nodes, chain, enumerated);
    if (text) this.queue.push(text);
  }

  flushPrompts(): void {
    if (!this.hungUp && !this.disconnected) for (const text of this.queue) this.record({ kind: 'prompt', text });
    this.queue = [];
  }

  /** Prompt content as text, its <value>s evaluated in the chain. */
  speakText(nodes: readonly VxmlNode[], chain: ScopeChain, enumerated?: readonly Enumerated[]): string {
    let current = chain;
    return collapse(
      speak(nodes, {
        evaluate: (expr) => this.sandbox.evaluate(expr, current),
        withVariables: (variables, body) => {
          const outer = current;
          current = [...outer, this.sandbox.newScope(variables)];
          try {
            return body();
          } finally {
            current = outer;
          }
        },
        enumerated,
      }),
    );
  }
}
