// How the language server is started: the excore.server.command setting, else `excore-ls` on
// PATH, else the selected Python interpreter's `-m excore_ls`. Pure logic, unit-tested.
import * as path from 'node:path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from, for the server log. */
  source: 'setting' | 'path' | 'python' | 'fallback';
}

export interface ResolveInput {
  /** Value of `excore.server.command` (anything the user wrote in settings.json). */
  configured: unknown;
  /** The PATH the server would be started with. */
  pathEnv: string | undefined;
  /** The Python interpreter selected in VS Code (Python extension), if any. */
  pythonPath: string | undefined;
  /** ExCore workspace root, substituted for `${workspaceFolder}` in the setting. */
  workspaceRoot: string;
  isExecutable(filePath: string): boolean;
  platform?: NodeJS.Platform;
}

export class InvalidCommandSetting extends Error {}

/** The setting as a list of strings; [] when unset; throws on a malformed value. */
export function parseCommandSetting(value: unknown): string[] {
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value) || !value.every((part) => typeof part === 'string')) {
    throw new InvalidCommandSetting(
      `excore.server.command must be an array of strings, e.g. ["excore-ls", "--stdio"]; got ${JSON.stringify(value)}`,
    );
  }
  if (value.length > 0 && value[0].trim() === '') {
    throw new InvalidCommandSetting('excore.server.command: the first element (the program) is empty');
  }
  return value as string[];
}

/** `name` found on `pathEnv`, as an absolute path, or undefined. */
export function whichOnPath(
  name: string,
  pathEnv: string | undefined,
  isExecutable: (p: string) => boolean,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const separator = platform === 'win32' ? ';' : ':';
  const suffixes = platform === 'win32' ? ['.exe', '.cmd', '.bat', ''] : [''];
  for (const dir of (pathEnv ?? '').split(separator)) {
    if (dir === '') {
      continue;
    }
    for (const suffix of suffixes) {
      const candidate = path.join(dir, name + suffix);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

export function resolveServerCommand(input: ResolveInput): ServerCommand {
  const configured = parseCommandSetting(input.configured);
  if (configured.length > 0) {
    const expanded = configured.map((part) => part.split('${workspaceFolder}').join(input.workspaceRoot));
    return { command: expanded[0], args: expanded.slice(1), source: 'setting' };
  }
  const onPath = whichOnPath('excore-ls', input.pathEnv, input.isExecutable, input.platform);
  if (onPath) {
    return { command: onPath, args: ['--stdio'], source: 'path' };
  }
  if (input.pythonPath && input.pythonPath.trim() !== '') {
    return { command: input.pythonPath, args: ['-m', 'excore_ls', '--stdio'], source: 'python' };
  }
  const python = input.platform === 'win32' ? 'python' : 'python3';
  return { command: python, args: ['-m', 'excore_ls', '--stdio'], source: 'fallback' };
}

/** The `excore` CLI that belongs to a server command: `python -m excore` for `python -m excore_ls`,
 * the `excore` next to an `excore-ls` executable, else `excore` from PATH. */
export function cliCommandFor(
  server: ServerCommand,
  isExecutable: (p: string) => boolean,
): { command: string; args: string[] } {
  const moduleFlag = server.args.indexOf('-m');
  if (moduleFlag >= 0 && server.args[moduleFlag + 1] === 'excore_ls') {
    return { command: server.command, args: [...server.args.slice(0, moduleFlag), '-m', 'excore'] };
  }
  const base = path.basename(server.command).replace(/\.(exe|cmd|bat)$/i, '');
  if (base === 'excore-ls') {
    const extension = path.extname(server.command);
    const sibling = path.join(path.dirname(server.command), 'excore' + extension);
    if (path.isAbsolute(sibling) && isExecutable(sibling)) {
      return { command: sibling, args: [] };
    }
  }
  return { command: 'excore', args: [] };
}

export function formatCommand(command: string, args: string[]): string {
  return [command, ...args].map((part) => (/[\s"']/.test(part) ? JSON.stringify(part) : part)).join(' ');
}
