/**
 * A stand-in for the AWS provider in debug mode, installed where init puts the real one: it
 * prints the line the real one prints once listening (TF_REATTACH_PROVIDERS), writes the
 * environment variable BDDA_TEST_MARK to `environment`, its pid to `pid` and its working directory to `cwd` beside itself, and
 * runs until SIGINT.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where init installs the AWS provider under a layer's `.terraform` (`dataDir`). */
export function fakeAwsProviderDir(dataDir: string): string {
  return path.join(dataDir, 'providers', 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0', 'linux_amd64');
}

/** Installs a stand-in AWS provider; `announce: false` makes one that exits without listening. */
export function installFakeAwsProvider(dataDir: string, opts: { announce?: boolean } = {}): string {
  fs.mkdirSync(fakeAwsProviderDir(dataDir), { recursive: true });
  const binary = path.join(fakeAwsProviderDir(dataDir), 'terraform-provider-aws_v5.100.0_x5');
  // Like the Go provider, it handles SIGINT (a shell script started in the background could not).
  const body =
    opts.announce === false
      ? "console.log('listening nowhere'); process.exit(1);"
      : [
          "const fs = require('node:fs');",
          "const path = require('node:path');",
          "if (process.argv[2] !== '-debug') process.exit(2);",
          "fs.writeFileSync(path.join(__dirname, 'environment'), process.env.BDDA_TEST_MARK ?? '');",
          "fs.writeFileSync(path.join(__dirname, 'pid'), String(process.pid));",
          "fs.writeFileSync(path.join(__dirname, 'cwd'), process.cwd());",
          "process.on('SIGINT', () => process.exit(0));",
          "const reattach = { 'registry.terraform.io/hashicorp/aws': { Protocol: 'grpc', ProtocolVersion: 5, Pid: process.pid, Test: true, Addr: { Network: 'unix', String: '/tmp/plugin-test' } } };",
          "console.log('Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:');",
          "console.log(`\\tTF_REATTACH_PROVIDERS='${JSON.stringify(reattach)}'`);",
          'setInterval(() => undefined, 1000);',
        ].join('\n');
  fs.writeFileSync(binary, `#!${process.execPath}\n${body}\n`, { mode: 0o755 });
  return binary;
}
