/**
 * A preload for the bench's servers (`PRELOAD=test/bench/pg-counter.cjs`, see
 * postgres-ratio.ts): counts every statement the process sends to PostgreSQL, by its text
 * (values left out), with the time each took from send to answer, and how long each
 * `pool.connect` waited for a connection. Written to PG_COUNT_OUT (JSON) when the process
 * exits. Counting does not depend on how busy the machine is; the times do.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const pg = require('pg');

const statements = new Map();
const pool = { connects: 0, waitMs: 0, maxWaitMs: 0, maxWaiting: 0, maxTotal: 0 };
let since = process.hrtime.bigint();
// SIGUSR2: start counting afresh (the bench sends it when the load begins, after start-up).
process.on('SIGUSR2', () => {
  statements.clear();
  Object.assign(pool, { connects: 0, waitMs: 0, maxWaitMs: 0, maxWaiting: 0, maxTotal: 0 });
  since = process.hrtime.bigint();
});

// Its start, and a short hash of the whole text: gathered statements of different kinds
// begin alike (WITH input AS (SELECT * FROM unnest(...).
function label(config) {
  const text = typeof config === 'string' ? config : config && config.text;
  if (!text) return '(other)';
  const squeezed = text.replace(/\s+/g, ' ').trim();
  return `${squeezed.slice(0, 110)} #${crypto.createHash('sha1').update(squeezed).digest('hex').slice(0, 6)}`;
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const key = label(config);
  const t = process.hrtime.bigint();
  let entry = statements.get(key);
  if (!entry) statements.set(key, (entry = { n: 0, ms: 0 }));
  entry.n++;
  const done = () => { entry.ms += Number(process.hrtime.bigint() - t) / 1e6; };
  // pool.query passes a callback (the last argument), the store's own calls a promise.
  const last = [config, values, callback].reverse().find((a) => a !== undefined);
  if (typeof last === 'function') {
    const wrapped = (...args) => { done(); return last(...args); };
    if (callback) return query.call(this, config, values, wrapped);
    if (typeof values === 'function') return query.call(this, config, wrapped);
    config.callback = wrapped;
    return query.call(this, config);
  }
  if (config && typeof config.callback === 'function') {
    const inner = config.callback;
    config.callback = (...args) => { done(); return inner(...args); };
    return query.call(this, config, values);
  }
  const result = query.call(this, config, values, callback);
  if (result && typeof result.then === 'function') result.then(done, done);
  return result;
};

const connect = pg.Pool.prototype.connect;
pg.Pool.prototype.connect = function (callback) {
  const t = process.hrtime.bigint();
  pool.connects++;
  pool.maxWaiting = Math.max(pool.maxWaiting, this.waitingCount + 1);
  const waited = () => {
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    pool.waitMs += ms;
    pool.maxWaitMs = Math.max(pool.maxWaitMs, ms);
    pool.maxTotal = Math.max(pool.maxTotal, this.totalCount);
  };
  if (callback) return connect.call(this, (err, client, release) => { waited(); callback(err, client, release); });
  const result = connect.call(this);
  result.then(waited, waited);
  return result;
};

process.on('exit', () => {
  if (!process.env.PG_COUNT_OUT) return;
  const rows = [...statements.entries()].map(([text, e]) => ({ text, n: e.n, ms: Math.round(e.ms) })).sort((a, b) => b.n - a.n);
  fs.writeFileSync(process.env.PG_COUNT_OUT, JSON.stringify({ seconds: Number(process.hrtime.bigint() - since) / 1e9, pool, statements: rows }, null, 1));
});
