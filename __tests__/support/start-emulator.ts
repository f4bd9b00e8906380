/** Child-process entry for the cross-process start test: prints `<pid> <fresh>` of the emulator. */
import { ensureEmulator } from '../../bdda/engines/emulator';

ensureEmulator(process.argv[2], { port: Number(process.argv[3]) }).then(
  (info) => console.log(`${info.pid} ${info.fresh}`),
  (err: Error) => {
    console.log(`error ${err.message}`);
    process.exitCode = 1;
  },
);
