// Preloaded into the CLI by the corpus runner (node --import): on exit, reports the CPU time the
// process used on file descriptor 3, so a time limit holds however loaded the machine is.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  try { writeSync(3, JSON.stringify({ cpuMs: (user + system) / 1000 })); } catch { /* not run by the corpus */ }
});
