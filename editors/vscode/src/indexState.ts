// State of the workspace index (.excore/index.json) shown in the status bar: missing, stale
// (a Python file or the workspace file changed after the index was written) or present.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export type IndexState =
  | { state: 'missing'; indexPath: string }
  | { state: 'stale'; indexPath: string; newerFile: string }
  | { state: 'present'; indexPath: string };

export const DEFAULT_INDEX_PATH = '.excore/index.json';
const SKIPPED_DIRS = new Set(['node_modules', '__pycache__', 'venv', 'build', 'dist']);
const MAX_DEPTH = 8;

/** Absolute index path from the `excore.indexPath` setting (relative to the root; empty: default). */
export function indexPathFor(root: string, setting: string | undefined): string {
  const value = setting && setting.trim() !== '' ? setting.trim() : DEFAULT_INDEX_PATH;
  return path.isAbsolute(value) ? value : path.join(root, value);
}

function isSourceOfIndex(name: string): boolean {
  return name.endsWith('.py') || name === 'excore.toml' || name === 'pyproject.toml';
}

async function findNewer(dir: string, thanMs: number, depth: number): Promise<string | undefined> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) {
      continue;
    }
    const full = path.join(dir, entry.name);
    if (entry.isFile() && isSourceOfIndex(entry.name)) {
      const stat = await fsp.stat(full).catch(() => undefined);
      if (stat && stat.mtimeMs > thanMs) {
        return full;
      }
    } else if (entry.isDirectory() && depth < MAX_DEPTH && !SKIPPED_DIRS.has(entry.name)) {
      const found = await findNewer(full, thanMs, depth + 1);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}

export async function computeIndexState(root: string, indexPathSetting?: string): Promise<IndexState> {
  const indexPath = indexPathFor(root, indexPathSetting);
  const stat = await fsp.stat(indexPath).catch(() => undefined);
  if (!stat || !stat.isFile()) {
    return { state: 'missing', indexPath };
  }
  const newerFile = await findNewer(root, stat.mtimeMs, 0);
  if (newerFile) {
    return { state: 'stale', indexPath, newerFile };
  }
  return { state: 'present', indexPath };
}
