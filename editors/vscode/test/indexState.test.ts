import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { computeIndexState, indexPathFor } from '../src/indexState';

function write(root: string, name: string, text: string, secondsAgo: number): string {
  const full = path.join(root, name);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, text);
  const time = Date.now() / 1000 - secondsAgo;
  utimesSync(full, time, time);
  return full;
}

describe('computeIndexState', () => {
  it('is missing without an index', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'excore-index-'));
    write(root, 'excore.toml', '', 100);
    assert.deepEqual(await computeIndexState(root), { state: 'missing', indexPath: path.join(root, '.excore/index.json') });
  });

  it('is present when the index is newer than every source', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'excore-index-'));
    write(root, 'excore.toml', '', 100);
    write(root, 'src/pkg/model.py', '', 100);
    write(root, '.excore/index.json', '{}', 10);
    write(root, 'node_modules/x/y.py', '', 0); // ignored
    write(root, '.venv/lib/z.py', '', 0); // hidden: ignored
    assert.equal((await computeIndexState(root)).state, 'present');
  });

  it('is stale when a Python file changed after the index', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'excore-index-'));
    write(root, 'excore.toml', '', 100);
    write(root, '.excore/index.json', '{}', 50);
    const changed = write(root, 'src/pkg/model.py', '', 5);
    assert.deepEqual(await computeIndexState(root), {
      state: 'stale',
      indexPath: path.join(root, '.excore/index.json'),
      newerFile: changed,
    });
  });

  it('honours the excore.indexPath setting', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'excore-index-'));
    write(root, 'build/idx.json', '{}', 0);
    assert.equal(indexPathFor(root, 'build/idx.json'), path.join(root, 'build/idx.json'));
    assert.equal(indexPathFor(root, '  '), path.join(root, '.excore/index.json'));
    assert.equal((await computeIndexState(root, 'build/idx.json')).state, 'present');
  });
});
