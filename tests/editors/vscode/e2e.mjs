// End-to-end tests of the ExCore extension in real VS Code (code-server), driven like a user
// with keyboard shortcuts in a headless Chromium. Run by tests/editors/test_editor_vscode.py, which
// starts code-server with the packaged extension installed and passes:
//   EXCORE_E2E_URL       the code-server URL
//   EXCORE_E2E_SCENARIO  JSON scenario (tests/editors/conftest.py)
//   EXCORE_E2E_TESTS     comma-separated test names (default: all, in order)
//   EXCORE_E2E_ARTIFACTS directory for screenshots
// Prints one "RESULT {json}" line per test, then "N passed, N failed"; exits 1 on failure.
import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';

const url = process.env.EXCORE_E2E_URL;
const scenario = JSON.parse(process.env.EXCORE_E2E_SCENARIO ?? '{}');
const artifacts = process.env.EXCORE_E2E_ARTIFACTS ?? 'test-artifacts/editors';
const chromiumPath = process.env.EXCORE_CHROMIUM ?? '/usr/bin/chromium';
mkdirSync(artifacts, { recursive: true });

const STEP_TIMEOUT = 20000;

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `vscode-${name}.png`) }).catch(() => {});
}

/** Visible editor lines of the active editor as {number: text} (Monaco renders spaces as nbsp). */
async function visibleLines(page) {
  return page.evaluate(() => {
    const editor = document.querySelector('.editor-group-container.active .monaco-editor');
    if (!editor) {
      return {};
    }
    const numbers = new Map();
    for (const el of editor.querySelectorAll('.margin-view-overlays .line-numbers')) {
      numbers.set(el.parentElement.style.top || el.style.top, Number(el.textContent.trim()));
    }
    const lines = {};
    for (const el of editor.querySelectorAll('.view-lines .view-line')) {
      const number = numbers.get(el.style.top);
      if (number) {
        lines[number] = el.textContent.replace(/\u00a0/g, ' ');
      }
    }
    return lines;
  });
}

async function waitForLine(page, lineNumber, predicate, what) {
  const deadline = Date.now() + STEP_TIMEOUT;
  let last;
  while (Date.now() < deadline) {
    last = (await visibleLines(page))[lineNumber];
    if (last !== undefined && predicate(last)) {
      return last;
    }
    await page.waitForTimeout(100);
  }
  throw new Error(`timed out waiting for ${what}; line ${lineNumber} is ${JSON.stringify(last)}`);
}

/** Press Enter in the quick input once its focused (first) row is the one wanted. */
async function pickFocused(page, text) {
  const focused = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: text });
  await focused.first().waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
  await page.waitForTimeout(100);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: STEP_TIMEOUT }).catch(() => {});
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await pickFocused(page, title);
}

async function closeAllEditors(page) {
  await runCommand(page, 'View: Close All Editors');
  const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" });
  if (await dontSave.isVisible({ timeout: 500 }).catch(() => false)) {
    await dontSave.click();
  }
  await page.waitForTimeout(200);
}

async function save(page) {
  await page.keyboard.press('Control+S');
  await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: STEP_TIMEOUT });
}

/** Quick Open (Ctrl+P) a workspace file by its relative path, as a user would. */
async function openFile(page, relative) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(relative);
  const base = path.basename(relative);
  await pickFocused(page, base);
  await page.locator(`.tab.active[aria-label*="${base}"]`).waitFor({ timeout: STEP_TIMEOUT });
  await page.locator('.editor-group-container.active .monaco-editor .view-lines').waitFor();
}

/** Go to Line/Column (Ctrl+G) with a 0-based scenario position. */
async function goTo(page, line, character) {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line + 1}:${character + 1}`);
  await page.waitForTimeout(150);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' }).catch(() => {});
  const status = page.locator('#status\\.editor\\.selection');
  await status.filter({ hasText: `Ln ${line + 1}, Col ${character + 1}` }).waitFor({ timeout: STEP_TIMEOUT });
}

async function cursorLine(page) {
  const text = await page.locator('#status\\.editor\\.selection').innerText();
  const match = /Ln (\d+), Col (\d+)/.exec(text);
  check(match, `no cursor position in the status bar: ${text}`);
  return Number(match[1]);
}

/** Rows of the Problems panel (Ctrl+Shift+M) as text. */
async function problems(page) {
  return page.locator('.markers-panel .monaco-list-row').allInnerTexts();
}

async function waitForProblem(page, needle) {
  const deadline = Date.now() + STEP_TIMEOUT;
  let rows = [];
  while (Date.now() < deadline) {
    rows = (await problems(page)).map((row) => row.replace(/\s+/g, ' ').trim());
    const hit = rows.find((row) => row.includes(needle));
    if (hit) {
      return hit;
    }
    await page.waitForTimeout(150);
  }
  throw new Error(`no problem containing ${JSON.stringify(needle)} in the Problems panel; rows: ${JSON.stringify(rows)}`);
}

const tests = {
  async status(page) {
    // The status bar item shows the index state once the server runs for a config.
    await openFile(page, scenario.definition.file);
    const item = page.locator('#excore\\.excore\\.indexStatus, [id$="excore.indexStatus"]').first();
    await item.filter({ hasText: 'ExCore: index loaded' }).waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, 'status');
    return { status: (await item.innerText()).trim() };
  },

  async diagnostics(page) {
    const s = scenario.diagnostics;
    await openFile(page, s.file);
    await page.keyboard.press('Control+Shift+M');
    await page.locator('.markers-panel').waitFor({ timeout: STEP_TIMEOUT });
    const row = await waitForProblem(page, 'unknown-module');
    await page.locator('.editor-group-container.active .squiggly-error').first().waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, 'diagnostics');
    check(row.includes(s.name), `problem does not name ${s.name}: ${row}`);
    // The Problems panel shows "message  excore(unknown-module)  [Ln l, Col c]".
    check(/\bexcore\b.*\bunknown-module\b/.test(row), `problem lacks source excore and code unknown-module: ${row}`);
    check(row.includes(`[Ln ${s.line + 1}, Col`), `problem not on line ${s.line + 1}: ${row}`);
    await page.keyboard.press('Control+Shift+M'); // close the panel again
    return { problem: row };
  },

  async completion(page) {
    const s = scenario.completion;
    await openFile(page, s.file);
    await goTo(page, s.line, s.character);
    await page.keyboard.press('Control+Space');
    const widget = page.locator('.editor-widget.suggest-widget.visible');
    await widget.locator('.monaco-list-row').first().waitFor({ timeout: STEP_TIMEOUT });
    await page.waitForTimeout(300);
    const labels = (await widget.locator('.monaco-list-row .label-name').allInnerTexts()).map((t) => t.trim());
    for (const name of s.expected) {
      check(labels.includes(name), `suggestions lack ${name}: ${JSON.stringify(labels)}`);
    }
    for (const label of labels) {
      check(s.registered.includes(label), `suggestion ${label} is not a registered module (word-based?)`);
    }
    // Type the start of the name: the list filters and focuses it, showing the server's detail.
    const name = s.expected[0];
    await page.keyboard.type(name.slice(0, 3), { delay: 50 });
    const focused = widget.locator('.monaco-list-row.focused');
    await focused.filter({ hasText: name }).waitFor({ timeout: STEP_TIMEOUT });
    await page.waitForTimeout(300);
    const detail = (await focused.locator('.details-label').innerText().catch(() => '')).trim();
    await screenshot(page, 'completion');
    check(detail !== '', `the focused suggestion ${name} shows no detail from the server`);
    for (const want of s.expected_detail?.[name] ?? []) {
      check(detail.includes(want), `detail of ${name} is ${JSON.stringify(detail)}, expected it to contain ${JSON.stringify(want)}`);
    }
    await page.keyboard.press('Enter');
    const line = await waitForLine(page, s.line + 1, (text) => text.includes(`"${name}"`), `"${name}" inserted`);
    await save(page);
    return { labels, detail, line };
  },

  async hover(page) {
    const s = scenario.hover;
    await openFile(page, s.file);
    await goTo(page, s.line, s.character);
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    const hover = page.locator('.monaco-hover:not(.hidden) .monaco-hover-content, .monaco-resizable-hover .monaco-hover-content').first();
    await hover.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.waitForFunction(
      (expected) => [...document.querySelectorAll('.monaco-hover-content')].some((el) => el.textContent.includes(expected)),
      s.expected,
      { timeout: STEP_TIMEOUT },
    ).catch(() => {});
    const text = (await hover.innerText()).trim();
    await screenshot(page, 'hover');
    check(text.includes(s.expected), `hover shows ${JSON.stringify(text)}, expected the description ${JSON.stringify(s.expected)}`);
    await page.keyboard.press('Escape');
    return { hover: text };
  },

  async definition(page) {
    const s = scenario.definition;
    await openFile(page, s.file);
    await goTo(page, s.line, s.character);
    await page.keyboard.press('F12');
    const base = path.basename(s.target_file);
    await page.locator(`.tab.active[aria-label*="${base}"]`).waitFor({ timeout: STEP_TIMEOUT });
    await page.waitForTimeout(300);
    const line = await cursorLine(page);
    const text = (await visibleLines(page))[line] ?? '';
    await screenshot(page, 'definition');
    check(line === s.target_line, `cursor on line ${line} of ${base}, expected line ${s.target_line}`);
    check(text.includes(s.target_text), `line ${line} is ${JSON.stringify(text)}, expected ${JSON.stringify(s.target_text)}`);
    return { opened: base, line, text };
  },

  async quickfix_only(page) {
    // A keybinding for "editor.action.codeAction" with { kind: "quickfix" } (the user's
    // keybindings.json, written by test_editor_vscode.py): the request carries
    // context.only = ["quickfix"]. The fix is offered, and nothing is applied yet.
    const s = scenario.quickfix;
    await openFile(page, s.file);
    await page.locator('.editor-group-container.active .squiggly-error').first().waitFor({ timeout: STEP_TIMEOUT });
    await goTo(page, s.line, s.character);
    const menu = page.locator('.action-widget');
    const action = menu.locator('.monaco-list-row', { hasText: s.title }).first();
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Control+Alt+K');
      const shown = await action.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false);
      if (shown) {
        break;
      }
      check(attempt < 4, `the quick fixes asked by kind never offered ${JSON.stringify(s.title)}`);
      await page.keyboard.press('Escape');
    }
    const offered = (await menu.locator('.monaco-list-row').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    await screenshot(page, 'quickfix-only');
    check(!offered.some((t) => t.startsWith('Create a [')), `a refactor among the quick fixes: ${JSON.stringify(offered)}`);
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: STEP_TIMEOUT }).catch(() => {});
    return { offered };
  },

  async quickfix(page) {
    const s = scenario.quickfix;
    await openFile(page, s.file);
    await page.locator('.editor-group-container.active .squiggly-error').first().waitFor({ timeout: STEP_TIMEOUT });
    await goTo(page, s.line, s.character);
    const menu = page.locator('.action-widget');
    const action = menu.locator('.monaco-list-row', { hasText: s.title }).first();
    // Ctrl+. right after the diagnostic arrives can find the code actions not computed yet
    // ("No code actions available"): press it again, as a user would.
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Control+.');
      const shown = await action.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false);
      if (shown) {
        break;
      }
      check(attempt < 4, `the quick fix menu never offered ${JSON.stringify(s.title)}`);
      await page.keyboard.press('Escape');
    }
    const offered = (await menu.locator('.monaco-list-row').allInnerTexts()).map((t) => t.trim()).filter(Boolean);
    await action.hover();
    await screenshot(page, 'quickfix');
    await action.click();
    const line = await waitForLine(page, s.line + 1, (text) => text === s.expected_line, 'the quick fix to change the line');
    await page.locator('.editor-group-container.active .squiggly-error').first().waitFor({ state: 'detached', timeout: STEP_TIMEOUT });
    await screenshot(page, 'quickfix-applied');
    await save(page);
    return { offered, line };
  },

  async server_log(page) {
    await runCommand(page, 'ExCore: Show Server Log');
    const output = page.locator('.output-view, [id="workbench.panel.output"]').first();
    await output.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
    await page.locator('.output-view .view-lines', { hasText: '[excore] running' }).first().waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, 'server-log');
    return {};
  },

  async restart(page) {
    // "ExCore: Restart Server": a new server starts and answers (hover) in place of the old one.
    await runCommand(page, 'ExCore: Restart Server');
    await runCommand(page, 'ExCore: Show Server Log');
    await page.locator('.output-view .view-lines', { hasText: '[excore] restarting' }).first().waitFor({ timeout: STEP_TIMEOUT });
    await page.waitForFunction(
      () => [...document.querySelectorAll('.output-view .view-line')].filter((el) => el.textContent.replace(/\u00a0/g, ' ').includes('[excore] running')).length >= 2,
      null,
      { timeout: STEP_TIMEOUT },
    );
    await page.locator('[id$="excore.indexStatus"]', { hasText: 'index loaded' }).first().waitFor({ timeout: STEP_TIMEOUT });
    const answer = await tests.hover(page);
    return { hover_after_restart: answer.hover.split('\n')[0] };
  },

  async dump_index(page) {
    // The status bar follows the index: stale, missing, then loaded again after "ExCore: Dump Index".
    await openFile(page, scenario.dump_index.file);
    const status = page.locator('[id$="excore.indexStatus"]').first();
    await status.filter({ hasText: 'index loaded' }).waitFor({ timeout: STEP_TIMEOUT });
    // A registered class changes after the dump: the index is stale.
    const source = path.join(scenario.workspace, scenario.definition.target_file);
    const now = new Date();
    utimesSync(source, now, now);
    await status.filter({ hasText: 'index stale' }).waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, 'index-stale');
    const index = path.join(scenario.workspace, '.excore', 'index.json');
    rmSync(index);
    await status.filter({ hasText: 'index missing' }).waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, 'index-missing');
    await runCommand(page, 'ExCore: Dump Index');
    await status.filter({ hasText: 'index loaded' }).waitFor({ timeout: 90000 });
    check(existsSync(index), `${index} not written`);
    return { status: (await status.innerText()).trim() };
  },

  async broken_server(page) {
    // Point the extension at a missing server: the user must see an error, not silence.
    const missing = path.join(scenario.workspace, 'no-such-dir', 'excore-ls');
    // The user writes the setting into the workspace's .vscode/settings.json.
    mkdirSync(path.join(scenario.workspace, '.vscode'), { recursive: true });
    writeFileSync(
      path.join(scenario.workspace, '.vscode', 'settings.json'),
      JSON.stringify({ 'excore.server.command': [missing, '--stdio'] }, null, 2),
    );
    await openFile(page, scenario.diagnostics.file);
    const toast = page.locator('.notification-toast', { hasText: 'cannot start the language server' }).first();
    await toast.waitFor({ timeout: STEP_TIMEOUT });
    const status = page.locator('[id$="excore.indexStatus"]', { hasText: 'server not running' }).first();
    await status.waitFor({ timeout: STEP_TIMEOUT });
    await screenshot(page, 'broken-server');
    return { notification: (await toast.locator('.notification-list-item-message').innerText()).trim() };
  },
};

async function main() {
  const names = (process.env.EXCORE_E2E_TESTS ?? '').split(',').filter(Boolean);
  const selected = names.length ? names : Object.keys(tests);
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  let passed = 0;
  let failed = 0;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    await page.goto(`${url}/?folder=${encodeURIComponent(scenario.workspace)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await page.locator('.statusbar').waitFor({ timeout: 60000 });
    await page.waitForTimeout(1000);
    for (const name of selected) {
      const started = Date.now();
      const fn = tests[name];
      try {
        check(fn, `no such test: ${name}`);
        await page.keyboard.press('Escape');
        await closeAllEditors(page);
        const details = await fn(page);
        passed += 1;
        console.log(`RESULT ${JSON.stringify({ name, ok: true, seconds: (Date.now() - started) / 1000, details })}`);
      } catch (error) {
        failed += 1;
        await screenshot(page, `${name}-failure`);
        console.log(`RESULT ${JSON.stringify({ name, ok: false, seconds: (Date.now() - started) / 1000, error: String(error?.stack ?? error) })}`);
      }
    }
  } finally {
    await browser.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((error) => {
  console.log(`RESULT ${JSON.stringify({ name: 'harness', ok: false, error: String(error?.stack ?? error) })}`);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});
