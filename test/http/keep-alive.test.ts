import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { boundedServer, connectionSettingsFrom } from '../../src/http/security/connections';
import { loadConfig } from '../../src/config';

/**
 * A VoiceXML platform keeps its connection open between a call's requests. Node's server
 * closes a kept-alive connection after 5 s by default, exactly when Node's own client (and
 * many others) still considers it usable: a request sent on it as it closes fails with
 * "socket hang up", and the caller hears the error hand-back. Under load the fault test of
 * 500 concurrent calls lost a third of its fetches that way. The server now keeps such a
 * connection as long as any idle one, and says so in the Keep-Alive header.
 */

function get(port: number, agent: http.Agent): Promise<{ keepAlive: string | undefined; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ keepAlive: res.headers['keep-alive']?.toString(), reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

it('keeps a connection open between requests for the idle timeout, and tells the client so', async () => {
  const { connections } = loadConfig({});
  const server = boundedServer((_req, res) => res.end('ok'), connections);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const { port } = server.address() as AddressInfo;
    const first = await get(port, agent);
    const second = await get(port, agent);
    expect(first.keepAlive).toBe(`timeout=${connections.idleTimeoutMs / 1000}`);
    expect(connections.idleTimeoutMs).toBe(30_000);
    expect(second.reused).toBe(true);
  } finally {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

it('follows HTTP_IDLE_TIMEOUT_MS', () => {
  const { settings } = connectionSettingsFrom({ HTTP_HEADERS_TIMEOUT_MS: 1_000, HTTP_REQUEST_TIMEOUT_MS: 2_000, HTTP_IDLE_TIMEOUT_MS: 12_000, HTTP_MAX_CONNECTIONS: 5 });
  const server = boundedServer(() => undefined, settings);
  expect(server.keepAliveTimeout).toBe(12_000);
});
