#!/usr/bin/env node
/**
 * A stand-in for terraform (TERRAFORM_BINARY) that records every signal it receives, for the
 * interrupt tests. `version -json` answers at once; any other command appends `start <args>` to
 * FAKE_TF_LOG and waits. Each SIGINT or SIGTERM appends its name; FAKE_TF_STOP_MS (1.5 s) after
 * the first one it exits 1 as terraform does after an interrupt (long enough for a second signal
 * to be recorded).
 */
const fs = require('node:fs');

const log = process.env.FAKE_TF_LOG;
const args = process.argv.slice(2);
const record = (line) => log && fs.appendFileSync(log, `${line}\n`);

if (args[0] === 'version') {
  process.stdout.write('{"terraform_version":"1.11.4"}\n');
  process.exit(0);
}

record(`start ${args.join(' ')}`);
let stopping = false;
const onSignal = (name) => {
  record(name);
  if (stopping) return;
  stopping = true;
  setTimeout(
    () => {
      process.stderr.write('Error: execution halted\n');
      process.exit(1);
    },
    Number(process.env.FAKE_TF_STOP_MS || 1500),
  );
};
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('SIGTERM', () => onSignal('SIGTERM'));
setTimeout(() => {
  record('timeout');
  process.exit(1);
}, 60_000);
