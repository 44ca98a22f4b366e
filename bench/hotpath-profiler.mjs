// Loaded with `--import` into a server process (HOTPATH_PROFILE=dir): a CPU profile of its whole run, written at exit
// (NODE_OPTIONS does not allow --cpu-prof).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (error, result) => {
    if (!error) writeFileSync(join(process.env.HOTPATH_PROFILE, `server-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
