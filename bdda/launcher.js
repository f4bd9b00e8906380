#!/usr/bin/env node
/**
 * Runs the bdda CLI from compiled JavaScript, compiling first whenever a source changed.
 *
 * ts-node spends about a second type-stripping on every start. esbuild turns the whole tree
 * (about 70 files) into CommonJS in well under 200 ms, so the launcher hashes the sources, and
 * when no compiled copy of exactly these sources exists under `build/js/<hash>/` it makes one.
 * An edit to anything under stacks/, charts/, policies/, config/ or bdda/ therefore takes effect on the
 * next command with no build step, and two commands started at once never see half a build: each
 * build is written to a temporary folder and renamed into place.
 *
 * This file is plain JavaScript because it runs before anything is compiled.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const REPO = path.resolve(__dirname, '..');
/** The folders and files that make up the program (tests are jest's business). */
const SOURCES = ['main.ts', 'bdda', 'config', 'stacks', 'charts', 'policies'];
/** The build folder (compiled program, synthesized layers, plans): `BDDA_BUILD_DIR`, else the checkout's `build/`. */
const BUILD_DIR = process.env.BDDA_BUILD_DIR ? path.resolve(process.env.BDDA_BUILD_DIR) : path.join(REPO, 'build');
const OUT_ROOT = path.join(BUILD_DIR, 'js');
const OUTSIDE_CHECKOUT = path.relative(REPO, BUILD_DIR).startsWith('..') || path.isAbsolute(path.relative(REPO, BUILD_DIR));
/** Compiled copies of older sources are kept this long, in case a command still runs from one. */
const KEEP_OLD_MS = 24 * 60 * 60 * 1000;

function sourceFiles() {
  const files = [];
  const walk = (rel) => {
    const full = path.join(REPO, rel);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isFile()) {
      if (rel.endsWith('.ts') && !rel.endsWith('.d.ts') && !rel.endsWith('.test.ts')) files.push(rel);
      return;
    }
    for (const name of fs.readdirSync(full).sort()) walk(path.join(rel, name));
  };
  SOURCES.forEach(walk);
  return files;
}

/** A folder of compiled JavaScript matching the current sources, built if missing. */
function compiled() {
  const files = sourceFiles();
  const esbuildVersion = require('esbuild/package.json').version;
  // This file's own text is hashed too: a change of the build options below makes a new build.
  const hash = crypto.createHash('sha256').update(`esbuild ${esbuildVersion}\n`).update(fs.readFileSync(__filename));
  // The dependencies' exact versions too: the build's hash also keys the reuse of synthesized
  // output (bdda/workflow/synth.ts), which a new cdktf or provider binding must not reuse.
  hash.update(fs.readFileSync(path.join(REPO, 'package-lock.json')));
  // A build folder outside the checkout may serve several: each has its own copy, linked to its node_modules.
  if (OUTSIDE_CHECKOUT) hash.update(`checkout ${REPO}\n`);
  for (const file of files)
    hash
      .update(`${file}\n`)
      .update(fs.readFileSync(path.join(REPO, file)))
      .update('\n');
  const dir = path.join(OUT_ROOT, hash.digest('hex').slice(0, 16));
  if (fs.existsSync(dir)) return dir;

  assertWritable(OUT_ROOT);
  const tmp = `${dir}.${process.pid}.tmp`;
  require('esbuild').buildSync({
    entryPoints: files.map((f) => path.join(REPO, f)),
    outdir: tmp,
    outbase: REPO,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // The CLI loads each command's implementation with `await import()`; compiled to require(),
    // so that it resolves like every other import (Node's own import() wants file extensions).
    supported: { 'dynamic-import': false },
    logLevel: 'error',
  });
  // Node resolves packages from the compiled file's folder upwards, which outside the checkout never meets its node_modules.
  if (OUTSIDE_CHECKOUT) fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(tmp, 'node_modules'), 'dir');
  // Several JS files sit beside the TypeScript (this launcher among them); nothing else needs copying.
  try {
    fs.renameSync(tmp, dir);
  } catch (err) {
    // Another command finished the same build first; its copy is identical.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw err;
  }
  removeOldBuilds(path.basename(dir));
  return dir;
}

/** Thrown when the build folder cannot be written: the CLI prints its message alone and exits 1. */
class UnwritableBuildDir extends Error {}

/**
 * Makes `dir` and checks that files can be written in it, before esbuild reports the same problem
 * once per source file. A read-only CI workspace or another user's clone fails here.
 */
function assertWritable(dir) {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    const where = process.env.BDDA_BUILD_DIR ? 'BDDA_BUILD_DIR' : 'the checkout';
    throw new UnwritableBuildDir(
      `bdda cannot write its build folder ${BUILD_DIR} (${where}; ${err.code || err.message} on ${err.path || dir}): ` +
        'it compiles the program and synthesizes each environment there. Point BDDA_BUILD_DIR at a folder you can write, one per ' +
        'checkout (e.g. `export BDDA_BUILD_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/bdda/build"`), or work in a clone of your own.',
      { cause: err },
    );
  }
}

function removeOldBuilds(keep) {
  for (const name of fs.readdirSync(OUT_ROOT)) {
    if (name === keep) continue;
    const full = path.join(OUT_ROOT, name);
    const age = Date.now() - (fs.statSync(full, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > KEEP_OLD_MS) fs.rmSync(full, { recursive: true, force: true });
  }
}

module.exports = { compiled };

if (require.main === module) {
  // Source maps are not switched on: Node would parse every map at load, about 90 ms of each
  // start. A crash report's trace names the compiled files, whose lines follow the source closely.
  // The compiled copy lives under build/js/<hash>/, so the checkout is named here, once.
  process.env.BDDA_REPO = REPO;
  let build;
  try {
    build = compiled();
  } catch (err) {
    if (!(err instanceof UnwritableBuildDir)) throw err;
    console.error(`Error: ${err.message}`);
    process.exit(1);
  }
  process.env.BDDA_BUILD = path.basename(build);
  const cli = require(path.join(build, 'bdda', 'cli.js'));
  cli.run(process.argv);
}
