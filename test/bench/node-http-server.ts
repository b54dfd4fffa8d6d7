import http from 'node:http';

// The floor: node:http with no framework answering a static string of the same size and
// type as our start document. Express's own cost is the gap between this and bare Express.
const body = 'x'.repeat(Number(process.env.BODY_BYTES ?? 1200));
http
  .createServer((req, res) => {
    if (!req.url?.startsWith('/vxml/start')) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/voicexml+xml; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
