// The ExCore extension: starts `excore-ls` (one client per ExCore workspace root) for the TOML
// files of ExCore workspaces only, and adds the commands and the index status bar item.
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  type DynamicFeature,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  type StaticFeature,
} from 'vscode-languageclient/node';
import { computeIndexState, indexPathFor, type IndexState } from './indexState';
import { findRootOf, type FileAccess, ownerRoot, rootsFromMarkers } from './roots';
import {
  cliCommandFor,
  formatCommand,
  InvalidCommandSetting,
  resolveServerCommand,
  type ServerCommand,
} from './serverCommand';

const CLIENT_ID = 'excore';
const CLIENT_NAME = 'ExCore Language Server';
const MAX_ROOTS = 20;
// The server's own command (workspace/executeCommand): dumps and reloads the index in place.
// vscode-languageclient registers it as a VS Code command, so ours has another id.
const SERVER_DUMP_COMMAND = 'excore.dumpIndex';

/** A client that can leave the server's commands (workspace/executeCommand) unregistered: with
 * several ExCore workspaces open, only the first client may register them as VS Code commands
 * (a second registration of the same id throws). */
class ExcoreLanguageClient extends LanguageClient {
  static registerServerCommands = true;

  override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    const method = (feature as Partial<DynamicFeature<unknown>>).registrationType?.method;
    if (method === 'workspace/executeCommand' && !ExcoreLanguageClient.registerServerCommands) {
      return;
    }
    super.registerFeature(feature);
  }
}

interface ServerIndexStatus {
  state: 'loaded' | 'missing' | 'stale';
  path?: string;
  message?: string;
}

interface Entry {
  root: string;
  client?: LanguageClient;
  command?: ServerCommand;
  error?: string;
  serverIndexStatus?: ServerIndexStatus;
}

const nodeFileAccess: FileAccess = {
  async isFile(filePath) {
    return fs.promises.stat(filePath).then(
      (stat) => stat.isFile(),
      () => false,
    );
  },
  async readText(filePath) {
    return fs.promises.readFile(filePath, 'utf8').catch(() => undefined);
  },
};

function isExecutable(filePath: string): boolean {
  try {
    fs.accessSync(filePath, fs.constants.X_OK);
    return fs.statSync(filePath).isFile();
  } catch {
    return false;
  }
}

async function selectedPython(resource: vscode.Uri): Promise<string | undefined> {
  const python = vscode.extensions.getExtension('ms-python.python');
  if (python) {
    try {
      const api = python.isActive ? python.exports : await python.activate();
      const active = api?.environments?.getActiveEnvironmentPath?.(resource);
      if (active?.path) {
        return active.path as string;
      }
      const details = api?.settings?.getExecutionDetails?.(resource);
      if (details?.execCommand?.[0]) {
        return details.execCommand[0] as string;
      }
    } catch {
      // fall back to the setting below
    }
  }
  const configured = vscode.workspace.getConfiguration('python', resource).get<string>('defaultInterpreterPath');
  return configured && configured !== 'python' ? configured : undefined;
}

function isTomlFile(document: vscode.TextDocument): boolean {
  return document.uri.scheme === 'file' && (document.languageId === 'toml' || document.fileName.endsWith('.toml'));
}

class ExcoreExtension implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly output = vscode.window.createOutputChannel(CLIENT_NAME);
  private readonly status = vscode.window.createStatusBarItem('excore.indexStatus', vscode.StatusBarAlignment.Left, 10);
  private readonly disposables: vscode.Disposable[] = [];
  private starting: Promise<void> = Promise.resolve();

  constructor(private readonly context: vscode.ExtensionContext) {
    this.status.name = 'ExCore index';
    this.disposables.push(
      this.output,
      this.status,
      vscode.commands.registerCommand('excore.restartServer', () => this.restart()),
      vscode.commands.registerCommand('excore.dumpWorkspaceIndex', () => this.dumpIndex()),
      vscode.commands.registerCommand('excore.showServerLog', () => this.output.show(true)),
      vscode.workspace.onDidOpenTextDocument((document) => this.onOpen(document)),
      vscode.window.onDidChangeActiveTextEditor(() => this.refreshStatus()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('excore.server') || event.affectsConfiguration('excore.indexPath')) {
          void this.restart();
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.restart()),
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/{*.py,index.json,excore.toml,pyproject.toml}');
    const onChange = () => this.refreshStatus();
    this.disposables.push(watcher, watcher.onDidChange(onChange), watcher.onDidCreate(onChange), watcher.onDidDelete(onChange));
  }

  async start(): Promise<void> {
    this.starting = this.starting.then(async () => {
      for (const root of await this.discoverRoots()) {
        await this.ensureClient(root);
      }
      await this.refreshStatus();
    });
    return this.starting;
  }

  /** ExCore roots of the workspace folders, plus those of the TOML files already open. */
  private async discoverRoots(): Promise<string[]> {
    const markers = await vscode.workspace.findFiles(
      '**/{excore.toml,pyproject.toml}',
      '**/{node_modules,.git,.venv,venv,__pycache__}/**',
      200,
    );
    const roots = new Set(await rootsFromMarkers(markers.map((uri) => uri.fsPath), nodeFileAccess));
    for (const document of vscode.workspace.textDocuments) {
      if (isTomlFile(document)) {
        const root = await findRootOf(document.uri.fsPath, nodeFileAccess);
        if (root) {
          roots.add(root);
        }
      }
    }
    return [...roots].slice(0, MAX_ROOTS);
  }

  private async onOpen(document: vscode.TextDocument): Promise<void> {
    if (!isTomlFile(document) || ownerRoot(this.entries.keys(), document.uri.fsPath)) {
      return;
    }
    const root = await findRootOf(document.uri.fsPath, nodeFileAccess);
    if (root && this.entries.size < MAX_ROOTS) {
      this.starting = this.starting.then(() => this.ensureClient(root));
      await this.starting;
      await this.refreshStatus();
    }
  }

  private async serverCommand(root: string): Promise<ServerCommand> {
    const rootUri = vscode.Uri.file(root);
    const configured = vscode.workspace.getConfiguration('excore', rootUri).get<unknown>('server.command');
    const input = { configured, pathEnv: process.env.PATH, pythonPath: undefined as string | undefined, workspaceRoot: root, isExecutable };
    const resolved = resolveServerCommand(input);
    if (resolved.source !== 'fallback') {
      return resolved;
    }
    return resolveServerCommand({ ...input, pythonPath: await selectedPython(rootUri) });
  }

  private async ensureClient(root: string): Promise<void> {
    if (this.entries.has(root)) {
      return;
    }
    const entry: Entry = { root };
    this.entries.set(root, entry);
    let command: ServerCommand;
    try {
      command = await this.serverCommand(root);
    } catch (error) {
      entry.error = error instanceof InvalidCommandSetting ? error.message : String(error);
      this.reportStartFailure(entry);
      return;
    }
    entry.command = command;
    const rootUri = vscode.Uri.file(root);
    const indexSetting = vscode.workspace.getConfiguration('excore', rootUri).get<string>('indexPath') ?? '';
    const serverOptions: ServerOptions = {
      command: command.command,
      args: command.args,
      options: { cwd: root, env: process.env },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'toml', pattern: `${root.split(path.sep).join('/')}/**/*.toml` }],
      workspaceFolder: { uri: rootUri, name: path.basename(root), index: 0 },
      initializationOptions: { indexPath: indexSetting.trim() === '' ? undefined : indexPathFor(root, indexSetting) },
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher(
          new vscode.RelativePattern(rootUri, '**/{*.py,excore.toml,pyproject.toml,.excore/index.json}'),
        ),
      },
      diagnosticCollectionName: CLIENT_ID,
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationFailedHandler: (error) => {
        entry.error = `initialization failed: ${error instanceof Error ? error.message : String(error)}`;
        return false;
      },
    };
    this.output.appendLine(`[excore] starting for ${root} (${command.source}): ${formatCommand(command.command, command.args)}`);
    ExcoreLanguageClient.registerServerCommands = ![...this.entries.values()].some((other) => other !== entry && other.client);
    const client = new ExcoreLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    entry.client = client;
    client.onDidChangeState((event) => {
      if (event.newState === State.Stopped && this.entries.get(root) === entry && !entry.error) {
        entry.error = 'the server stopped';
      }
      void this.refreshStatus();
    });
    try {
      await client.start();
      entry.error = undefined;
      client.onNotification('excore/indexStatus', (params: ServerIndexStatus) => {
        entry.serverIndexStatus = params;
        void this.refreshStatus();
      });
      const info = client.initializeResult?.serverInfo;
      this.output.appendLine(`[excore] running: ${info?.name ?? 'server'} ${info?.version ?? ''}`.trimEnd());
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
      this.reportStartFailure(entry);
    }
  }

  private reportStartFailure(entry: Entry): void {
    const commandText = entry.command ? formatCommand(entry.command.command, entry.command.args) : '(no command)';
    const stderr = entry.command ? startStderr(entry.command.command, entry.command.args ?? [], entry.root) : '';
    const reason = stderr ? `${entry.error}; it says: ${stderr}` : entry.error;
    const message = `ExCore: cannot start the language server \`${commandText}\`: ${reason}. Install ExCore in your project's environment (pip install /path/to/ExCore, or a built wheel) or set "excore.server.command".`;
    this.output.appendLine(`[excore] ${message}`);
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Server Log').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'excore.server');
      } else if (choice === 'Show Server Log') {
        this.output.show(true);
      }
    });
    void this.refreshStatus();
  }

  private activeEntry(): Entry | undefined {
    const file = vscode.window.activeTextEditor?.document.uri.fsPath;
    const root = file ? ownerRoot(this.entries.keys(), file) : undefined;
    return root ? this.entries.get(root) : this.entries.values().next().value;
  }

  async refreshStatus(): Promise<void> {
    const entry = this.activeEntry();
    if (!entry) {
      this.status.hide();
      return;
    }
    const rootName = path.basename(entry.root);
    if (entry.error || !entry.client) {
      this.setStatus('$(error) ExCore: server not running', `${entry.root}\n${entry.error ?? ''}\nClick to show the server log.`, 'excore.showServerLog', true);
      return;
    }
    if (entry.client.state !== State.Running) {
      this.setStatus('$(sync~spin) ExCore: starting', `Starting the language server for ${entry.root}`, 'excore.showServerLog', false);
      return;
    }
    const setting = vscode.workspace.getConfiguration('excore', vscode.Uri.file(entry.root)).get<string>('indexPath');
    const local: IndexState = await computeIndexState(entry.root, setting);
    const reported = entry.serverIndexStatus;
    const state = reported?.state ?? (local.state === 'present' ? 'loaded' : local.state);
    const indexPath = reported?.path ?? local.indexPath;
    if (state === 'missing') {
      this.setStatus('$(warning) ExCore: index missing', `${rootName}: no index at ${indexPath}.\nClick to run "excore schema dump".`, 'excore.dumpWorkspaceIndex', true);
    } else if (state === 'stale') {
      const why = reported?.message ?? (local.state === 'stale' ? `${local.newerFile} changed after the index was written.` : '');
      this.setStatus('$(warning) ExCore: index stale', `${rootName}: ${indexPath} is stale. ${why}\nClick to dump the index again.`, 'excore.dumpWorkspaceIndex', true);
    } else {
      this.setStatus('$(check) ExCore: index loaded', `${rootName}: ${indexPath}`, 'excore.dumpWorkspaceIndex', false);
    }
  }

  private setStatus(text: string, tooltip: string, command: string, warning: boolean): void {
    this.status.text = text;
    this.status.tooltip = tooltip;
    this.status.command = command;
    this.status.backgroundColor = warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.status.show();
  }

  async stopAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      entries.map((entry) =>
        entry.client?.stop(5000).catch((error) => this.output.appendLine(`[excore] stopping ${entry.root}: ${String(error)}`)),
      ),
    );
  }

  async restart(): Promise<void> {
    this.output.appendLine('[excore] restarting');
    this.starting = this.starting.then(() => this.stopAll());
    await this.start();
  }

  async dumpIndex(): Promise<void> {
    const entry = this.activeEntry();
    if (!entry) {
      void vscode.window.showErrorMessage('ExCore: no ExCore workspace (excore.toml or pyproject.toml with [tool.excore]) is open.');
      return;
    }
    const indexSetting = vscode.workspace.getConfiguration('excore', vscode.Uri.file(entry.root)).get<string>('indexPath');
    const indexPath = indexPathFor(entry.root, indexSetting);
    const before = await fs.promises.stat(indexPath).then((stat) => stat.mtimeMs, () => undefined);
    const client = entry.client;
    const viaServer =
      client?.state === State.Running &&
      (client.initializeResult?.capabilities.executeCommandProvider?.commands ?? []).includes(SERVER_DUMP_COMMAND);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'ExCore: dumping the workspace index…' },
      () => (viaServer && client ? this.dumpWithServer(client) : this.dumpWithCli(entry)),
    );
    if (result.text) {
      this.output.appendLine(result.text);
    }
    const after = await fs.promises.stat(indexPath).then((stat) => stat.mtimeMs, () => undefined);
    const written = after !== undefined && (before === undefined || after > before);
    if (!result.ok || !written) {
      const firstLine = result.text.split('\n').find((line) => line.trim() !== '') ?? 'the index was not written';
      void vscode.window.showErrorMessage(`ExCore: dumping the index failed: ${firstLine}`, 'Show Server Log').then((choice) => {
        if (choice) {
          this.output.show(true);
        }
      });
      await this.refreshStatus();
      return;
    }
    void vscode.window.showInformationMessage(`ExCore: index written for ${path.basename(entry.root)}.`);
    if (viaServer) {
      entry.serverIndexStatus = undefined;
      await this.refreshStatus();
    } else {
      await this.restart();
    }
  }

  private async dumpWithServer(client: LanguageClient): Promise<{ ok: boolean; text: string }> {
    this.output.appendLine(`[excore] workspace/executeCommand ${SERVER_DUMP_COMMAND}`);
    try {
      const result = await client.sendRequest('workspace/executeCommand', { command: SERVER_DUMP_COMMAND, arguments: [] });
      return { ok: true, text: typeof result === 'string' ? result : '' };
    } catch (error) {
      return { ok: false, text: error instanceof Error ? error.message : String(error) };
    }
  }

  private async dumpWithCli(entry: Entry): Promise<{ ok: boolean; text: string }> {
    const server = entry.command ?? (await this.serverCommand(entry.root));
    const cli = cliCommandFor(server, isExecutable);
    const args = [...cli.args, 'schema', 'dump', '--workspace', entry.root];
    this.output.appendLine(`[excore] ${formatCommand(cli.command, args)}`);
    return new Promise((resolve) => {
      execFile(cli.command, args, { cwd: entry.root, env: process.env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const text = `${stdout}${stderr}`.trim();
        resolve({ ok: !error, text: error && !text ? error.message : text });
      });
    });
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}

let extension: ExcoreExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new ExcoreExtension(context);
  context.subscriptions.push(extension);
  await extension.start();
}

export async function deactivate(): Promise<void> {
  await extension?.stopAll();
  extension = undefined;
}

/** The server started once more with stdin closed: a server that can start exits 0 at end of
 * file; one that cannot exits non-zero, and the last lines of its stderr say why. */
function startStderr(command: string, args: string[], cwd: string): string {
  try {
    const result = spawnSync(command, args, { cwd, input: '', encoding: 'utf8', timeout: 20000 });
    if (result.error) {
      return result.error.message;
    }
    if (result.status === 0) {
      return '';
    }
    const lines = (result.stderr ?? '').trim().split('\n').filter((line) => line.trim() !== '');
    return lines.slice(-6).join(' | ') || `exit ${result.status ?? 'by signal'}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
