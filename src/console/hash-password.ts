import { hashPassword } from './password';

/**
 * `npm run hash-password`: reads a console password and prints the ADMIN_PASSWORD_HASH
 * line for .env. Typed at a terminal it is not echoed and is asked twice; piped
 * (`printf '%s' "$PW" | npm run -s hash-password`) it is read whole, less one final newline.
 * The password never appears in argv, where other users could read it in `ps`.
 */

const MIN_LENGTH = 8;

/** Reads one line from the terminal in raw mode, echoing nothing. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  let typed = '';
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        // Ctrl-C and Ctrl-D: raw mode turns off the terminal's own handling of them.
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
        else typed += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readPiped(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk.toString('utf8');
  return text.replace(/\r?\n$/, '');
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readPiped();
  const password = await readHidden('Console password: ');
  if ((await readHidden('Again: ')) !== password) throw new Error('the two passwords differ');
  return password;
}

async function main(): Promise<void> {
  const password = await readPassword();
  if (password.length < MIN_LENGTH) throw new Error(`the password must be at least ${MIN_LENGTH} characters`);
  process.stdout.write(`ADMIN_PASSWORD_HASH=${await hashPassword(password)}\n`);
  if (process.stdout.isTTY) {
    process.stderr.write('Paste this line into .env (in a shell, quote the value in single quotes: it contains $).\n');
  }
}

main().catch((err: Error) => {
  process.stderr.write(`hash-password: ${err.message}\n`);
  process.exit(1);
});
