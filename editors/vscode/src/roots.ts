// Which directories are ExCore workspaces, and which workspace a file belongs to. Pure logic over
// injected file access, so it is unit-tested without VS Code.
import * as path from 'node:path';

export const WORKSPACE_FILE = 'excore.toml';
export const PYPROJECT_FILE = 'pyproject.toml';

/** File access needed by root detection (node's fs in the extension, fakes or temp dirs in tests). */
export interface FileAccess {
  isFile(filePath: string): Promise<boolean>;
  readText(filePath: string): Promise<string | undefined>;
}

const TOOL_EXCORE_HEADER = /^\s*\[\s*tool\s*\.\s*(?:excore|"excore"|'excore')\s*[\].]/m;
const TOOL_TABLE_WITH_EXCORE = /^\s*\[\s*tool\s*\]\s*$(?:(?!^\s*\[)[\s\S])*?^\s*excore\s*[.=]/m;

/** True when a pyproject.toml text configures ExCore: `[tool.excore]`, `[tool.excore.x]`, or an
 * `excore` key inside `[tool]`. Comment lines do not count. */
export function pyprojectHasExcore(text: string): boolean {
  const withoutComments = text
    .split(/\r?\n/)
    .map((line) => (line.trimStart().startsWith('#') ? '' : line))
    .join('\n');
  return TOOL_EXCORE_HEADER.test(withoutComments) || TOOL_TABLE_WITH_EXCORE.test(withoutComments);
}

/** True when `dir` itself is an ExCore workspace root. */
export async function isExcoreRoot(dir: string, fs: FileAccess): Promise<boolean> {
  if (await fs.isFile(path.join(dir, WORKSPACE_FILE))) {
    return true;
  }
  const pyproject = path.join(dir, PYPROJECT_FILE);
  if (await fs.isFile(pyproject)) {
    const text = await fs.readText(pyproject);
    return text !== undefined && pyprojectHasExcore(text);
  }
  return false;
}

/** The nearest directory at or above the directory of `filePath` that is an ExCore workspace
 * root (the way `excore` itself finds the workspace of a config), or undefined. */
export async function findRootOf(filePath: string, fs: FileAccess): Promise<string | undefined> {
  let dir = path.dirname(path.resolve(filePath));
  for (;;) {
    if (await isExcoreRoot(dir, fs)) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return undefined;
    }
    dir = parent;
  }
}

/** Workspace roots among marker files found by a search (excore.toml / pyproject.toml paths),
 * sorted and without duplicates; a pyproject.toml counts only with ExCore configuration. */
export async function rootsFromMarkers(markers: string[], fs: FileAccess): Promise<string[]> {
  const roots = new Set<string>();
  for (const marker of markers) {
    const base = path.basename(marker);
    if (base === WORKSPACE_FILE) {
      roots.add(path.dirname(marker));
    } else if (base === PYPROJECT_FILE) {
      const text = await fs.readText(marker);
      if (text !== undefined && pyprojectHasExcore(text)) {
        roots.add(path.dirname(marker));
      }
    }
  }
  return [...roots].sort();
}

/** True when `filePath` is inside `root` (or is it). */
export function isInside(root: string, filePath: string): boolean {
  const relative = path.relative(root, filePath);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The root among `roots` that owns `filePath`: the innermost one containing it. */
export function ownerRoot(roots: Iterable<string>, filePath: string): string | undefined {
  let best: string | undefined;
  for (const root of roots) {
    if (isInside(root, filePath) && (best === undefined || root.length > best.length)) {
      best = root;
    }
  }
  return best;
}
