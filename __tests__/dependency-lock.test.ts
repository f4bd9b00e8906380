/**
 * The committed dependency lock (stacks/.terraform.lock.hcl) that init copies into every layer's
 * directory and verifies the provider against; what init does with it is in
 * integration/dependency-lock.test.ts, which runs terraform.
 */
import * as fs from 'node:fs';
import { committedLockFile } from '../bdda/engines/dependency-lock';

test('the committed lock pins hashicorp/aws 5.100.0 with a checksum', () => {
  const text = fs.readFileSync(committedLockFile(), 'utf8');
  expect(text).toMatch(/provider "registry\.terraform\.io\/hashicorp\/aws" \{\s*version\s*= "5\.100\.0"/);
  expect(text).toMatch(/"h1:[A-Za-z0-9+/=]{44}"/);
});
