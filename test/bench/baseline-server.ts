import express from 'express';

// The baseline: bare Express answering a static string of the same size and type as our
// start document. Whatever the app costs beyond this is our own work per request.
const body = 'x'.repeat(Number(process.env.BODY_BYTES ?? 1200));
const app = express();
app.get('/vxml/start', (_req, res) => {
  res.type('application/voicexml+xml; charset=utf-8').set('Cache-Control', 'no-store').send(body);
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1');
server.on('listening', () => process.stdout.write('ready\n'));
