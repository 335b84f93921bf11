import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEPLOY = join(ROOT, 'docs/deploy');
const UNITS = readdirSync(DEPLOY).filter((f) => f.endsWith('.service'));

/** A unit file's [Service] settings; a key set twice keeps every value (Environment=). */
function serviceSection(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (section !== 'Service' || eq < 0) continue;
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

function environment(service: Map<string, string[]>): Record<string, string> {
  return Object.fromEntries((service.get('Environment') ?? []).map((v) => v.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

describe('the systemd units in docs/deploy', () => {
  it('finds the units the docs link to', () => {
    expect(UNITS).toEqual(expect.arrayContaining(['daily-digest.service', 'daily-digest-worker@.service']));
  });

  it.each(UNITS)('%s keeps its state in the directory systemd makes writable, not under the read-only /opt', (unit) => {
    const service = serviceSection(readFileSync(join(DEPLOY, unit), 'utf8'));
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    const state = service.get('StateDirectory')?.[0];
    expect(state, 'StateDirectory=').toMatch(/^[a-z][a-z0-9-]*$/);
    // DATA_DIR unset would be ./data under WorkingDirectory (/opt/…), which ProtectSystem=strict makes read-only.
    expect(environment(service).DATA_DIR).toBe(`/var/lib/${state}`);
    expect(service.get('WorkingDirectory')?.[0]).toMatch(/^\/opt\//);
    expect(environment(service).NODE_ENV).toBe('production');
  });

  it.skipIf(!hasSystemdAnalyze).each(UNITS)('%s passes systemd-analyze verify without a warning', (unit) => {
    // verify checks that ExecStart exists: point the units at this checkout instead of /opt/daily-digest.
    const dir = mkdtempSync(join(tmpdir(), 'digest-units-'));
    const name = unit.replace('@.service', '@1.service');
    writeFileSync(join(dir, name), readFileSync(join(DEPLOY, unit), 'utf8').replaceAll('/opt/daily-digest', ROOT.replace(/\/$/, '')));
    const out = spawnSync('systemd-analyze', ['verify', join(dir, name)], { encoding: 'utf8' });
    expect(out.stderr + out.stdout).toBe('');
    expect(out.status).toBe(0);
  });

  it('bin/digest, which ExecStart runs, is executable', () => {
    expect(() => execFileSync(join(ROOT, 'bin/digest'), ['--version'], { encoding: 'utf8' })).not.toThrow();
  });
});
