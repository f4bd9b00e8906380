/**
 * Where terraform installs providers from: the configured mirror, the default mirror when it is
 * there, else the registry through one plugin cache in the user's cache folder. Fakes only.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeProviderSource, providerSource, writeTerraformCliConfig } from '../bdda/engines/tools';

const none = () => false;

test('BDDA_PROVIDER_MIRROR is the mirror, whatever else exists', () => {
  expect(providerSource({ BDDA_PROVIDER_MIRROR: '/srv/mirror', HOME: '/home/ann' }, () => true)).toEqual({ kind: 'mirror', path: '/srv/mirror' });
});

test('without BDDA_PROVIDER_MIRROR, /opt/tf-plugins is the mirror when it exists', () => {
  expect(providerSource({ HOME: '/home/ann' }, (dir) => dir === '/opt/tf-plugins')).toEqual({ kind: 'mirror', path: '/opt/tf-plugins' });
});

test('with no mirror, the registry with a plugin cache under XDG_CACHE_HOME, else ~/.cache', () => {
  expect(providerSource({ HOME: '/home/ann', XDG_CACHE_HOME: '/var/cache/ann' }, none)).toEqual({
    kind: 'registry',
    pluginCache: '/var/cache/ann/bdda/terraform-plugins',
  });
  expect(providerSource({ HOME: '/home/ann' }, none)).toEqual({ kind: 'registry', pluginCache: '/home/ann/.cache/bdda/terraform-plugins' });
});

test('the progress line names the source', () => {
  expect(describeProviderSource({ kind: 'mirror', path: '/opt/tf-plugins' })).toBe('providers from the filesystem mirror /opt/tf-plugins');
  expect(describeProviderSource({ kind: 'registry', pluginCache: '/home/ann/.cache/bdda/terraform-plugins' })).toMatch(
    /^providers from the registry, cached in \/home\/ann\/\.cache\/bdda\/terraform-plugins \(no mirror/,
  );
});

describe('the CLI config written for terraform', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdda-provider-source-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('with no mirror: direct installation into the shared plugin cache, which it creates', () => {
    const cache = path.join(dir, 'cache', 'bdda', 'terraform-plugins');
    const text = fs.readFileSync(writeTerraformCliConfig(dir, { kind: 'registry', pluginCache: cache }), 'utf8');
    expect(text).toContain(`plugin_cache_dir = ${JSON.stringify(cache)}`);
    expect(text).toMatch(/provider_installation \{\s*direct \{\}\s*\}/);
    expect(text).not.toContain('filesystem_mirror');
    expect(fs.statSync(cache).isDirectory()).toBe(true);
  });

  test('with a mirror: the mirror only, and a mirror without the provider is refused naming the folder', () => {
    const mirror = path.join(dir, 'mirror');
    fs.mkdirSync(path.join(mirror, 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0'), { recursive: true });
    const text = fs.readFileSync(writeTerraformCliConfig(dir, { kind: 'mirror', path: mirror }), 'utf8');
    expect(text).toContain(`path    = ${JSON.stringify(mirror)}`);
    expect(text).not.toMatch(/direct|plugin_cache_dir/);
    expect(() => writeTerraformCliConfig(dir, { kind: 'mirror', path: path.join(dir, 'empty') })).toThrow(
      /empty\/registry\.terraform\.io\/hashicorp\/aws\/5\.100\.0 does not exist/,
    );
  });
});
