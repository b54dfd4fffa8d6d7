import vm from 'node:vm';
import { parse } from 'acorn';
import { VxmlEvent } from './events';

/**
 * The ECMAScript side of a simulated call: one node:vm context per call, and the
 * VoiceXML scope chain (session → application → document → dialog → anonymous scopes)
 * built from nested `with` statements over plain objects. Every evaluation has a time
 * limit, so a document's endless loop costs the call (error.semantic), never the process.
 *
 * Why `with`: assignments must land in the scope that declared the variable, which a
 * prototype chain of scope objects would get wrong (it shadows on write).
 */
export type ScopeObject = Record<string, unknown>;

/** Innermost last: [session, application, document, dialog?, ...anonymous]. */
export type ScopeChain = readonly ScopeObject[];

const SCOPE_NAMES = ['session', 'application', 'document', 'dialog'] as const;

/** Declarations a <script> makes at its top level: they belong to the script's scope. */
function declaredNames(code: string): { vars: string[]; functions: string[] } {
  const vars: string[] = [];
  const functions: string[] = [];
  const program = parse(code, { ecmaVersion: 2020, allowReturnOutsideFunction: false });
  type Node = { type: string; [key: string]: unknown };
  const visit = (node: Node | null | undefined): void => {
    if (!node || typeof node.type !== 'string') return;
    if (node.type === 'FunctionDeclaration') {
      functions.push((node.id as { name: string }).name);
      return; // a function's own vars are its own
    }
    if (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' || node.type === 'ClassDeclaration') return;
    if (node.type === 'VariableDeclaration' && node.kind === 'var') {
      for (const d of node.declarations as Node[]) {
        const id = d.id as Node;
        if (id.type === 'Identifier') vars.push(id.name as string);
      }
    }
    for (const value of Object.values(node)) {
      if (Array.isArray(value)) value.forEach((v) => visit(v as Node));
      else if (value && typeof value === 'object' && typeof (value as Node).type === 'string') visit(value as Node);
    }
  };
  for (const statement of program.body) visit(statement as unknown as Node);
  return { vars, functions };
}

export class Sandbox {
  private readonly context: vm.Context;
  private readonly compiled = new Map<string, vm.Script>();

  constructor(private readonly timeoutMs: number) {
    // A null-prototype global and no host objects inside: nothing in the sandbox leads back to
    // the host's Function constructor, and code generation from strings is off.
    this.context = vm.createContext(Object.create(null) as object, { codeGeneration: { strings: false, wasm: false } });
  }

  /** A fresh, empty scope object made in the call's own realm. */
  newScope(initial: Record<string, unknown> = {}): ScopeObject {
    const scope = vm.runInContext('Object.create(null)', this.context) as ScopeObject;
    Object.assign(scope, initial);
    return scope;
  }

  /** Copies a value into the call's realm as JSON-like data (objects from grammars, the engine). */
  toRealm(value: unknown): unknown {
    if (value === undefined || value === null || typeof value !== 'object') return value;
    this.context.__json = JSON.stringify(value);
    try {
      return vm.runInContext('JSON.parse(__json)', this.context);
    } finally {
      delete this.context.__json;
    }
  }

  /** Evaluates an ECMAScript expression in the scope chain. */
  evaluate(expr: string, chain: ScopeChain): unknown {
    return this.run(`(${expr}\n)`, chain, `expression "${expr}"`);
  }

  /** Evaluates a condition the way VoiceXML does: ECMAScript truthiness. */
  condition(cond: string | undefined, chain: ScopeChain): boolean {
    return cond === undefined || cond.trim() === '' ? true : Boolean(this.evaluate(cond, chain));
  }

  /** <var>: declares in the innermost scope of the chain. */
  declare(name: string, value: unknown, chain: ScopeChain): void {
    const target = chain[chain.length - 1];
    const scoped = /^(session|application|document|dialog)\.([A-Za-z_$][\w$]*)$/.exec(name);
    if (scoped) {
      const scope = this.namedScope(scoped[1], chain);
      if (!scope) throw new VxmlEvent('error.semantic', `no ${scoped[1]} scope for <var name="${name}">`);
      scope[scoped[2]] = value;
      return;
    }
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new VxmlEvent('error.semantic', `"${name}" is not a variable name`);
    target[name] = value;
  }

  /** <assign>: the variable must already be declared somewhere in the chain (error.semantic otherwise). */
  assign(name: string, value: unknown, chain: ScopeChain): void {
    if (/^[A-Za-z_$][\w$]*$/.test(name)) {
      for (let i = chain.length - 1; i >= 0; i--) {
        if (name in chain[i]) {
          chain[i][name] = value;
          return;
        }
      }
      throw new VxmlEvent('error.semantic', `assignment to undeclared variable "${name}"`);
    }
    // A qualified name (document.x, application.counter, obj.field): ECMAScript resolves it.
    const scoped = /^(session|application|document|dialog)\.([A-Za-z_$][\w$]*)$/.exec(name);
    if (scoped) {
      const scope = this.namedScope(scoped[1], chain);
      if (!scope || !(scoped[2] in scope)) throw new VxmlEvent('error.semantic', `assignment to undeclared variable "${name}"`);
      scope[scoped[2]] = value;
      return;
    }
    this.context.__value = value;
    try {
      this.run(`${name} = __value;`, chain, `assignment to "${name}"`);
    } finally {
      delete this.context.__value;
    }
  }

  /** <script>: its top-level var and function declarations belong to the innermost scope. */
  runScript(code: string, chain: ScopeChain): void {
    let names: { vars: string[]; functions: string[] };
    try {
      names = declaredNames(code);
    } catch (err) {
      throw new VxmlEvent('error.semantic', `script does not parse: ${(err as Error).message}`);
    }
    const target = chain[chain.length - 1];
    for (const name of [...names.vars, ...names.functions]) if (!(name in target)) target[name] = undefined;
    // Function declarations inside the with-block bind in the block; copy them to the scope.
    // (No host function is handed to the sandbox: its constructor would be a way out.)
    const capture = names.functions.map((f) => `\n;__target[${JSON.stringify(f)}] = ${f};`).join('');
    this.context.__target = target;
    try {
      this.run(`${code}${capture}`, chain, 'script');
    } finally {
      delete this.context.__target;
    }
  }

  private namedScope(name: string, chain: ScopeChain): ScopeObject | undefined {
    const index = SCOPE_NAMES.indexOf(name as (typeof SCOPE_NAMES)[number]);
    return index >= 0 ? chain[index] : undefined;
  }

  private run(body: string, chain: ScopeChain, what: string): unknown {
    const key = `${chain.length}\u0000${body}`;
    let script = this.compiled.get(key);
    if (!script) {
      const opening = chain.map((_, i) => `with(__scope${i})`).join('');
      try {
        script = new vm.Script(`${opening}{${body}\n}`, { filename: 'vxml' });
      } catch (err) {
        throw new VxmlEvent('error.semantic', `${what} does not parse: ${(err as Error).message}`);
      }
      if (this.compiled.size > 2000) this.compiled.clear();
      this.compiled.set(key, script);
    }
    chain.forEach((scope, i) => {
      this.context[`__scope${i}`] = scope;
    });
    SCOPE_NAMES.forEach((name, i) => {
      this.context[name] = chain[i];
    });
    try {
      return script.runInContext(this.context, { timeout: this.timeoutMs });
    } catch (err) {
      if (err instanceof VxmlEvent) throw err;
      const message = err instanceof Error || (err && typeof err === 'object' && 'message' in err) ? String((err as Error).message) : String(err);
      throw new VxmlEvent('error.semantic', `${what}: ${message}`);
    }
  }
}
