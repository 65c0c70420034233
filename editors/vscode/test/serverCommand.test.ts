import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cliCommandFor,
  formatCommand,
  InvalidCommandSetting,
  parseCommandSetting,
  resolveServerCommand,
  whichOnPath,
} from '../src/serverCommand';

const executables = (paths: string[]) => (p: string) => paths.includes(p);
const base = { pathEnv: '/usr/bin:/opt/venv/bin', pythonPath: undefined, workspaceRoot: '/ws', platform: 'linux' as const };

describe('resolveServerCommand', () => {
  it('uses the setting first, expanding ${workspaceFolder}', () => {
    const resolved = resolveServerCommand({
      ...base,
      configured: ['${workspaceFolder}/.venv/bin/excore-ls', '--stdio'],
      isExecutable: executables(['/opt/venv/bin/excore-ls']),
    });
    assert.deepEqual(resolved, { command: '/ws/.venv/bin/excore-ls', args: ['--stdio'], source: 'setting' });
  });

  it('finds excore-ls on PATH when the setting is empty', () => {
    const resolved = resolveServerCommand({ ...base, configured: [], isExecutable: executables(['/opt/venv/bin/excore-ls']) });
    assert.deepEqual(resolved, { command: '/opt/venv/bin/excore-ls', args: ['--stdio'], source: 'path' });
  });

  it('falls back to the selected interpreter with -m excore_ls', () => {
    const resolved = resolveServerCommand({
      ...base,
      configured: undefined,
      pythonPath: '/home/u/proj/.venv/bin/python',
      isExecutable: executables([]),
    });
    assert.deepEqual(resolved, {
      command: '/home/u/proj/.venv/bin/python',
      args: ['-m', 'excore_ls', '--stdio'],
      source: 'python',
    });
  });

  it('ends with python3 -m excore_ls when nothing else is known', () => {
    const resolved = resolveServerCommand({ ...base, configured: [], isExecutable: executables([]) });
    assert.equal(resolved.source, 'fallback');
    assert.deepEqual([resolved.command, ...resolved.args], ['python3', '-m', 'excore_ls', '--stdio']);
  });

  it('rejects a malformed setting with a message naming it', () => {
    for (const bad of ['excore-ls --stdio', [1, 2], [''], { cmd: 'x' }]) {
      assert.throws(() => parseCommandSetting(bad), (e: unknown) => e instanceof InvalidCommandSetting && /excore\.server\.command/.test(String(e)));
    }
    assert.deepEqual(parseCommandSetting(null), []);
  });
});

describe('whichOnPath', () => {
  it('skips empty PATH entries and returns the first match', () => {
    const found = whichOnPath('excore-ls', ':/a:/b', executables(['/b/excore-ls', '/a/excore-ls']), 'linux');
    assert.equal(found, '/a/excore-ls');
    assert.equal(whichOnPath('excore-ls', undefined, executables([]), 'linux'), undefined);
  });
});

describe('cliCommandFor', () => {
  it('uses the same interpreter for python -m excore_ls', () => {
    const cli = cliCommandFor({ command: '/v/bin/python', args: ['-X', 'utf8', '-m', 'excore_ls', '--stdio'], source: 'python' }, executables([]));
    assert.deepEqual(cli, { command: '/v/bin/python', args: ['-X', 'utf8', '-m', 'excore'] });
  });

  it('uses the excore next to an excore-ls executable', () => {
    const cli = cliCommandFor({ command: '/v/bin/excore-ls', args: ['--stdio'], source: 'path' }, executables(['/v/bin/excore']));
    assert.deepEqual(cli, { command: '/v/bin/excore', args: [] });
  });

  it('falls back to excore on PATH', () => {
    const cli = cliCommandFor({ command: '/v/bin/excore-ls', args: ['--stdio'], source: 'path' }, executables([]));
    assert.deepEqual(cli, { command: 'excore', args: [] });
  });
});

describe('formatCommand', () => {
  it('quotes parts with spaces', () => {
    assert.equal(formatCommand('/my dir/excore-ls', ['--stdio']), '"/my dir/excore-ls" --stdio');
  });
});
