-- End-to-end tests of the ExCore client in Neovim. Run by tests/editors/test_editor_nvim.py as
--   nvim --headless --clean -u tests/editors/nvim/init.lua -c 'luafile tests/editors/nvim/e2e.lua'
-- with EXCORE_E2E_SCENARIO (JSON, see tests/editors/conftest.py) and EXCORE_E2E_TESTS (names).
-- Everything runs in one coroutine resumed from timers, so typed keys (the completion popup) are
-- processed by Neovim's main loop between steps. Prints "N passed, N failed"; exits non-zero on
-- any failure.
local uv = vim.uv
if not vim.env.EXCORE_E2E_SCENARIO then
  io.stdout:write('EXCORE_E2E_SCENARIO not set\n0 passed, 1 failed\n')
  vim.cmd('cquit! 1')
end
local scenario = vim.json.decode(vim.env.EXCORE_E2E_SCENARIO)
local selected = vim.split(vim.env.EXCORE_E2E_TESTS or '', ',', { trimempty = true })
local shots_dir = vim.env.EXCORE_E2E_ARTIFACTS

local function log(...)
  io.stdout:write(table.concat(vim.tbl_map(tostring, { ... }), ' ') .. '\n')
  io.stdout:flush()
end

--- Suspend the test until pred() returns a truthy value (polled every 20 ms), or fail.
local function wait_for(what, pred, timeout_ms)
  local co = assert(coroutine.running(), 'wait_for outside the test coroutine')
  local deadline = uv.now() + (timeout_ms or 15000)
  local timer = assert(uv.new_timer())
  local last_err
  timer:start(
    0,
    20,
    vim.schedule_wrap(function()
      if timer:is_closing() then
        return
      end
      local ok, value = pcall(pred)
      if ok and value then
        timer:close()
        coroutine.resume(co, true, value)
      elseif uv.now() > deadline then
        timer:close()
        last_err = ok and nil or value
        coroutine.resume(co, false, nil)
      end
    end)
  )
  local ok, value = coroutine.yield()
  if not ok then
    error(('timed out waiting for %s%s'):format(what, last_err and (' (' .. tostring(last_err) .. ')') or ''), 2)
  end
  return value
end

local function sleep(ms)
  local co = coroutine.running()
  vim.defer_fn(function()
    coroutine.resume(co)
  end, ms)
  coroutine.yield()
end

local function check(cond, msg, ...)
  if not cond then
    error(msg:format(...), 2)
  end
end

local function path_of(rel)
  return vim.fs.joinpath(scenario.workspace, rel)
end

--- The screen as the user sees it (windows, floats, the completion popup, virtual text), read
--- back cell by cell from Neovim's screen grid.
local function screen_text()
  vim.cmd('redraw!')
  local grid = {}
  for row = 1, vim.o.lines do
    grid[row] = {}
    for col = 1, vim.o.columns do
      grid[row][col] = vim.fn.screenstring(row, col)
    end
  end
  -- Without a UI attached, floating windows (hover, diagnostics) are not composed onto the
  -- screen grid: paint them from their position and buffer, with a frame.
  local function put(row, col, text)
    for _, char in ipairs(vim.fn.split(text, '\\zs')) do
      if grid[row] and grid[row][col] then
        grid[row][col] = char
      end
      col = col + 1
    end
  end
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    local cfg = vim.api.nvim_win_get_config(win)
    if cfg.relative ~= '' and not cfg.hide then
      local pos = vim.api.nvim_win_get_position(win)
      local top, left = pos[1] + 2, pos[2] + 1 -- grid rows are 1-based; the frame goes above
      local width, height = vim.api.nvim_win_get_width(win), vim.api.nvim_win_get_height(win)
      local first = vim.fn.line('w0', win)
      local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), first - 1, first - 1 + height, false)
      put(top - 1, left - 1, '┌' .. string.rep('─', width) .. '┐')
      for i = 1, height do
        local text = vim.fn.strcharpart(lines[i] or '', 0, width)
        put(top + i - 1, left - 1, '│' .. text .. string.rep(' ', width - vim.fn.strdisplaywidth(text)) .. '│')
      end
      put(top + height, left - 1, '└' .. string.rep('─', width) .. '┘')
    end
  end
  local rows = {}
  for row = 1, #grid do
    rows[row] = (table.concat(grid[row]):gsub('%s+$', ''))
  end
  return table.concat(rows, '\n')
end

local function save_screen(name)
  if not shots_dir or shots_dir == '' then
    return
  end
  vim.fn.mkdir(shots_dir, 'p')
  local f = assert(io.open(vim.fs.joinpath(shots_dir, 'nvim-' .. name .. '.txt'), 'w'))
  f:write(screen_text(), '\n')
  f:close()
end

--- Open a file of the workspace as the user would (:edit) and wait until the excore client is
--- attached and initialized.
local function open(rel)
  vim.cmd.edit(vim.fn.fnameescape(path_of(rel)))
  local bufnr = vim.api.nvim_get_current_buf()
  local client = wait_for('the excore client to attach to ' .. rel, function()
    local c = vim.lsp.get_clients({ bufnr = bufnr, name = 'excore' })[1]
    return c and c.initialized and c
  end)
  return bufnr, client
end

local function cursor_to(line, character)
  -- scenario positions: 0-based line, 0-based character (ASCII test lines: bytes == characters)
  vim.api.nvim_win_set_cursor(0, { line + 1, character })
end

local function current_line()
  return vim.api.nvim_get_current_line()
end

local function diagnostics_with_code(bufnr, code)
  return vim.tbl_filter(function(d)
    return d.code == code
  end, vim.diagnostic.get(bufnr))
end

local tests = {}

function tests.diagnostics()
  local s = scenario.diagnostics
  local bufnr = open(s.file)
  local diags = wait_for('an unknown-module diagnostic', function()
    local found = diagnostics_with_code(bufnr, 'unknown-module')
    return #found > 0 and found
  end)
  local d = diags[1]
  save_screen('diagnostics')
  check(d.lnum == s.line, 'unknown-module reported on line %d, expected line %d', d.lnum + 1, s.line + 1)
  check(d.source == 'excore', 'diagnostic source is %s, expected excore', tostring(d.source))
  check(d.severity == vim.diagnostic.severity.ERROR, 'severity %s, expected ERROR', tostring(d.severity))
  local text = vim.api.nvim_buf_get_text(bufnr, d.lnum, d.col, d.end_lnum, d.end_col, {})[1]
  check(text == s.name, 'diagnostic range covers %q, expected %q', text, s.name)
  check(d.message:find(s.name, 1, true), 'message %q does not name %q', d.message, s.name)
  log(('  %s:%d:%d [%s] %s'):format(s.file, d.lnum + 1, d.col + 1, d.code, d.message))
end

function tests.completion()
  local s = scenario.completion
  open(s.file)
  cursor_to(s.line, s.character)
  check(current_line():sub(s.character, s.character + 1) == '""', 'cursor is not between empty quotes: %q', current_line())
  -- The user types <C-x><C-o> (omnifunc = vim.lsp.omnifunc) inside the empty string.
  vim.api.nvim_feedkeys(vim.keycode('i<C-x><C-o>'), 'n', false)
  local info = wait_for('the completion popup', function()
    local i = vim.fn.complete_info({ 'pum_visible', 'items' })
    return i.pum_visible == 1 and #i.items > 0 and i
  end)
  save_screen('completion')
  local labels, details = {}, {}
  for _, item in ipairs(info.items) do
    table.insert(labels, item.abbr ~= '' and item.abbr or item.word)
    details[item.word] = item.menu
  end
  vim.api.nvim_feedkeys(vim.keycode('<C-e><Esc>'), 'n', false)
  log('  popup: ' .. table.concat(labels, ', '))
  for _, name in ipairs(s.expected) do
    check(details[name] ~= nil, 'completion popup lacks %q (has: %s)', name, table.concat(labels, ', '))
    -- The detail comes from the server: a word-based completion has none.
    check(details[name] ~= '', 'item %q shows no detail from the server', name)
  end
  for _, item in ipairs(info.items) do
    check(vim.tbl_contains(s.registered, item.word), 'popup offers %q, which is not a registered module', item.word)
  end
  local first = s.expected[1]
  for _, want in ipairs((s.expected_detail or {})[first] or {}) do
    check(details[first]:find(want, 1, true), 'detail of %q is %q, expected it to contain %q', first, details[first], want)
  end
  log(('  %s: %s'):format(first, details[first]))
end

function tests.hover()
  local s = scenario.hover
  open(s.file)
  cursor_to(s.line, s.character)
  vim.lsp.buf.hover() -- what `K` does
  local lines = wait_for('the hover window', function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= '' then
        local buf = vim.api.nvim_win_get_buf(win)
        local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
        if text ~= '' then
          return text
        end
      end
    end
  end)
  save_screen('hover')
  log('  hover: ' .. lines:gsub('\n', ' | '))
  check(lines:find(s.expected, 1, true), 'hover shows %q, expected the description %q', lines, s.expected)
end

function tests.definition()
  local s = scenario.definition
  open(s.file)
  cursor_to(s.line, s.character)
  local source = vim.api.nvim_get_current_buf()
  vim.lsp.buf.definition() -- what `gd`/CTRL-] does with the LSP tagfunc
  wait_for('the definition to open', function()
    return vim.api.nvim_get_current_buf() ~= source
  end)
  save_screen('definition')
  local name = vim.fs.normalize(vim.api.nvim_buf_get_name(0))
  local row = vim.api.nvim_win_get_cursor(0)[1]
  log(('  jumped to %s:%d'):format(name, row))
  check(name == vim.fs.normalize(path_of(s.target_file)), 'opened %s, expected %s', name, s.target_file)
  check(row == s.target_line, 'cursor on line %d, expected line %d (the class)', row, s.target_line)
  check(current_line():find(s.target_text, 1, true), 'line %d is %q, expected it to contain %q', row, current_line(), s.target_text)
end

--- Apply the did-you-mean fix with the code action menu; `only` is the kinds asked for (what
--- `vim.lsp.buf.code_action({ context = { only = { 'quickfix' } } })` in a mapping sends).
local function quickfix_test(only)
  local s = scenario.quickfix
  local bufnr = open(s.file)
  wait_for('an unknown-module diagnostic', function()
    return #diagnostics_with_code(bufnr, 'unknown-module') > 0
  end)
  cursor_to(s.line, s.character)
  local titles, kinds = {}, {}
  vim.lsp.buf.code_action({
    context = only and { only = only } or nil,
    filter = function(action)
      table.insert(titles, action.title)
      table.insert(kinds, tostring(action.kind))
      return action.title == s.title
    end,
    apply = true,
  })
  wait_for(('the quick fix %q to change the line'):format(s.title), function()
    return current_line() == s.expected_line
  end, 10000)
  save_screen(only and 'quickfix-only' or 'quickfix')
  log('  offered: ' .. table.concat(titles, ' / '))
  log('  kinds: ' .. table.concat(kinds, ' / '))
  log('  line now: ' .. current_line())
  if only then
    for i, kind in ipairs(kinds) do
      check(kind == 'quickfix', 'asked for quick fixes, %q is a %s', titles[i], kind)
    end
  end
  wait_for('the unknown-module problem to disappear', function()
    return #diagnostics_with_code(bufnr, 'unknown-module') == 0
  end)
end

function tests.quickfix()
  quickfix_test(nil)
end

function tests.quickfix_only()
  quickfix_test({ 'quickfix' })
end

--- The status the server pushes for a buffer's workspace, once `pred(status)` holds.
local function wait_status(bufnr, what, pred, timeout_ms)
  local excore = require('excore')
  return wait_for(what, function()
    local status = excore.status(bufnr)
    return status and pred(status) and status
  end, timeout_ms)
end

--- The user's messages (vim.notify) from now on.
local function capture_messages()
  local seen = {}
  local orig = vim.notify
  vim.notify = function(msg, level, opts)
    seen[#seen + 1] = msg
    return orig(msg, level, opts)
  end
  return seen, function()
    vim.notify = orig
  end
end

local function any_message(seen, needle)
  for _, msg in ipairs(seen) do
    if msg:find(needle, 1, true) then
      return msg
    end
  end
end

function tests.status()
  -- The server says which workspace the buffer is in and that its index is loaded; the
  -- statusline function and :ExcoreStatus show it.
  local bufnr = open(scenario.definition.file)
  local status = wait_status(bufnr, 'the server status of the workspace', function(s)
    return s.state == 'loaded'
  end)
  check(status.root == vim.fs.normalize(scenario.workspace), 'root %s, expected %s', status.root, scenario.workspace)
  check(require('excore').statusline() == 'ExCore: index loaded', 'statusline shows %q', require('excore').statusline())
  local seen, restore = capture_messages()
  local shown
  require('excore').show_status(function(s)
    shown = s
  end)
  wait_for(':ExcoreStatus to answer', function()
    return shown
  end)
  restore()
  local msg = any_message(seen, 'index loaded: ')
  check(msg and msg:find(status.path, 1, true), ':ExcoreStatus said %s', table.concat(seen, ' | '))
  log('  ' .. msg:gsub('\n', ' | '))
end

function tests.dump_index()
  -- The index disappears: the server's status says so and the user is told to dump it;
  -- :ExcoreDumpIndex runs the command the server offers and the status is loaded again.
  local s = scenario.dump_index
  local bufnr, client = open(s.file)
  local excore = require('excore')
  local loaded = wait_status(bufnr, 'the loaded index', function(st)
    return st.state == 'loaded'
  end)
  local seen, restore = capture_messages()
  os.remove(loaded.path)
  local shown
  wait_for('the server to report the missing index', function()
    if shown == nil then
      shown = false
      excore.request_status(bufnr, function()
        shown = nil -- ask again on the next poll
      end)
    end
    local st = excore.status(bufnr)
    return st and st.state == 'missing'
  end)
  wait_for('the advice to run :ExcoreDumpIndex', function()
    return any_message(seen, 'index missing')
  end)
  restore()
  log('  told: ' .. any_message(seen, 'index missing'))
  local result
  excore.dump_index(function(ok, output)
    result = { ok = ok, output = output }
  end)
  result = wait_for(':ExcoreDumpIndex to finish', function()
    return result
  end, 90000)
  check(result.ok, 'dumping the index failed: %s', result.output)
  check(uv.fs_stat(loaded.path), 'index %s not written', loaded.path)
  local now = wait_status(bufnr, 'the index loaded again', function(st)
    return st.state == 'loaded'
  end)
  check(excore.statusline() == 'ExCore: index loaded', 'statusline shows %q', excore.statusline())
  local same = vim.lsp.get_clients({ bufnr = bufnr, name = 'excore' })[1]
  check(same and same.id == client.id, 'the server was replaced by the dump')
  log('  index rewritten by the server: ' .. now.path)
end

function tests.multi_root()
  -- Two ExCore workspaces open at once: one server, both folders, each buffer its own index.
  local second = vim.fs.joinpath(vim.fs.dirname(scenario.workspace), 'second-workspace')
  vim.fn.delete(second, 'rf')
  local copy = vim.system({ 'cp', '-r', scenario.workspace, second }):wait()
  check(copy.code == 0, 'copying the workspace failed: %s', copy.stderr or '')
  os.remove(vim.fs.joinpath(second, '.excore', 'index.json')) -- the second has no index yet
  local first_buf, first = open(scenario.diagnostics.file)
  vim.cmd.edit(vim.fn.fnameescape(vim.fs.joinpath(second, scenario.diagnostics.file)))
  local second_buf = vim.api.nvim_get_current_buf()
  local other = wait_for('the excore client to attach to the second workspace', function()
    local c = vim.lsp.get_clients({ bufnr = second_buf, name = 'excore' })[1]
    return c and c.initialized and c
  end)
  check(other.id == first.id, 'a second server (client %d) for the second workspace; expected client %d', other.id, first.id)
  check(#vim.lsp.get_clients({ name = 'excore' }) == 1, '%d excore clients', #vim.lsp.get_clients({ name = 'excore' }))
  local folders = vim.tbl_map(function(f)
    return vim.uri_to_fname(f.uri)
  end, other.workspace_folders or {})
  check(vim.tbl_contains(folders, vim.fs.normalize(scenario.workspace)) and vim.tbl_contains(folders, second), 'workspace folders: %s', table.concat(folders, ', '))
  local a = wait_status(first_buf, 'the first workspace loaded', function(st)
    return st.state == 'loaded'
  end)
  local b = wait_status(second_buf, 'the second workspace without an index', function(st)
    return st.state == 'missing'
  end)
  check(b.root == second and a.root ~= b.root, 'roots %s and %s', a.root, b.root)
  -- the first workspace's index finds the typo; the second, without an index, cannot
  wait_for('the unknown-module diagnostic in the first workspace', function()
    return #diagnostics_with_code(first_buf, 'unknown-module') > 0
  end)
  sleep(1000)
  check(#diagnostics_with_code(second_buf, 'unknown-module') == 0, 'the second workspace used the first one\'s index')
  log(('  one client (%d) for %s'):format(other.id, table.concat(folders, ', ')))
end

function tests.restart()
  local bufnr, client = open(scenario.diagnostics.file)
  vim.cmd('ExcoreRestart')
  local now = wait_for('a new initialized client', function()
    local c = vim.lsp.get_clients({ bufnr = bufnr, name = 'excore' })[1]
    return c and c.id ~= client.id and c.initialized and c
  end)
  check(client:is_stopped(), 'the old client %d still runs', client.id)
  wait_for('the diagnostics from the new server', function()
    local found = vim.tbl_filter(function(d)
      return d.code == 'unknown-module'
    end, vim.diagnostic.get(bufnr))
    return #found > 0
  end)
  log(('  client %d -> %d'):format(client.id, now.id))
end

function tests.unrelated_toml()
  -- A Python project without [tool.excore], next to the workspace: the server says the file is
  -- in no ExCore workspace, so nothing attaches and the server, serving nothing, stops.
  local other = vim.fs.joinpath(vim.fs.dirname(scenario.workspace), 'other-project')
  vim.fn.mkdir(other, 'p')
  vim.fn.writefile({ '[tool.ruff]', 'line-length = 100' }, vim.fs.joinpath(other, 'pyproject.toml'))
  vim.fn.writefile({ '[Model.ResNt]', 'depth = 1' }, vim.fs.joinpath(other, 'settings.toml'))
  vim.cmd.edit(vim.fn.fnameescape(vim.fs.joinpath(other, 'settings.toml')))
  check(vim.bo.filetype == 'toml', 'filetype is %q', vim.bo.filetype)
  local bufnr = vim.api.nvim_get_current_buf()
  wait_for('the server asked about the file to stop again', function()
    return #vim.lsp.get_clients({ name = 'excore' }) == 0
  end)
  check(#vim.lsp.get_clients({ bufnr = bufnr }) == 0, 'a client attached to a TOML file outside any ExCore workspace')
  check(require('excore').statusline() == '', 'statusline shows %q outside ExCore', require('excore').statusline())
  -- while a config of the workspace does start it
  open(scenario.definition.file)
end

function tests.manual_setup()
  -- with vim.g.excore_no_autoenable, nothing starts until require('excore').setup()
  check(vim.g.excore_no_autoenable, 'run with EXCORE_E2E_NO_AUTOENABLE=1')
  vim.cmd.edit(vim.fn.fnameescape(path_of(scenario.diagnostics.file)))
  local bufnr = vim.api.nvim_get_current_buf()
  sleep(1500)
  check(#vim.lsp.get_clients({ name = 'excore' }) == 0, 'excore-ls started although auto-enable is off')
  require('excore').setup({ index_path = '.excore/index.json' })
  wait_for('the excore client after setup()', function()
    local c = vim.lsp.get_clients({ bufnr = bufnr, name = 'excore' })[1]
    return c and c.initialized
  end)
  wait_for('the unknown-module diagnostic', function()
    return #diagnostics_with_code(bufnr, 'unknown-module') > 0
  end)
  check(vim.fn.exists(':ExcoreDumpIndex') == 2, ':ExcoreDumpIndex missing')
  check(vim.fn.exists(':ExcoreStatus') == 2, ':ExcoreStatus missing')
end

local function finish(passed, failed)
  log(('%d passed, %d failed'):format(passed, failed))
  vim.cmd(failed == 0 and 'qall!' or 'cquit! 1')
end

local function main()
  local passed, failed = 0, 0
  local names = #selected > 0 and selected or vim.tbl_keys(tests)
  for _, name in ipairs(names) do
    local fn = tests[name]
    if not fn then
      log(('FAIL %s: no such test'):format(name))
      failed = failed + 1
    else
      vim.cmd('silent! %bwipeout!')
      local ok, err = pcall(fn)
      if ok then
        passed = passed + 1
        log('PASS ' .. name)
      else
        failed = failed + 1
        log(('FAIL %s: %s'):format(name, err))
        save_screen(name .. '-failure')
        for _, client in ipairs(vim.lsp.get_clients()) do
          log(('  client %s id=%d initialized=%s stopped=%s'):format(client.name, client.id, tostring(client.initialized), tostring(client:is_stopped())))
        end
      end
    end
  end
  finish(passed, failed)
end

local co = coroutine.create(main)
vim.schedule(function()
  local ok, err = coroutine.resume(co)
  if not ok then
    log('FAIL harness: ' .. tostring(err))
    finish(0, 1)
  end
end)
