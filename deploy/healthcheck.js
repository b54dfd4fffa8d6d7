// The container's HEALTHCHECK (Dockerfile): GET /healthz on this container's own port, exit
// 0 on a 200 and 1 on anything else (another status, a refused connection, no answer within
// 4 s). A Node script because the slim base image has no curl or wget. Liveness, not
// readiness: /readyz also fails while no campaign is loaded or during the shutdown drain,
// and Docker should not call a container that is draining on purpose "unhealthy".
'use strict';
const http = require('node:http');

const port = Number(process.env.PORT || 3000);
const request = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 4000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('no answer within 4 s')));
request.on('error', (err) => {
  process.stderr.write(`healthcheck: ${err.message}\n`);
  process.exit(1);
});
