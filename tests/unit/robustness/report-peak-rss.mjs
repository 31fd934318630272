// Preloaded into a CLI run by the robustness tests (node --import): prints the process's peak
// resident set size — main thread and worker threads together — when it exits.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\npeak-rss-kib=${process.resourceUsage().maxRSS}\n`);
});
