// Loaded into the server by test/bench/heap-per-start.ts (node --require): V8's sampling
// heap profiler, counting objects garbage collection already took (a start's allocations
// are short-lived: without them the profile shows almost nothing). The first SIGUSR2
// starts sampling, the second writes the profile to HEAP_PROFILE_OUT.
'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');

const session = new inspector.Session();
session.connect();
let sampling = false;
process.on('SIGUSR2', () => {
  const out = process.env.HEAP_PROFILE_OUT;
  if (!sampling) {
    sampling = true;
    const options = { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true };
    session.post('HeapProfiler.startSampling', options, () => fs.writeFileSync(`${out}.started`, ''));
    return;
  }
  session.post('HeapProfiler.stopSampling', (err, result) => {
    if (err) throw err;
    fs.writeFileSync(out, JSON.stringify(result.profile));
  });
});
