-- ExCore for Neovim (>= 0.11): finds ExCore workspaces, resolves the `excore-ls` command, and
-- provides :ExcoreDumpIndex / :ExcoreRestart. The LSP spec itself is lsp/excore.lua.
local M = {}

---@class excore.Options
---@field cmd? string[] command starting the server (default: excore-ls on PATH, else python -m excore_ls)
---@field index_path? string index file, relative to the workspace root (default .excore/index.json)
---@field settings? table sent to the server as workspace/configuration
---@field enable? boolean call vim.lsp.enable('excore') (default true)
M.options = {}

local uv = vim.uv or vim.loop

local function is_file(path)
  local stat = uv.fs_stat(path)
  return stat ~= nil and stat.type == 'file'
end

local function is_executable(path)
  return path ~= nil and path ~= '' and vim.fn.executable(path) == 1
end

--- True when the text of a pyproject.toml has a [tool.excore] (or [tool.excore.*]) table.
---@param text string
function M.pyproject_has_excore(text)
  for line in (text .. '\n'):gmatch('([^\n]*)\n') do
    if line:match('^%s*%[%s*tool%s*%.%s*excore%s*[%]%.]') then
      return true
    end
  end
  return false
end

local function read_file(path)
  local f = io.open(path, 'r')
  if not f then
    return nil
  end
  local text = f:read('*a')
  f:close()
  return text
end

--- The ExCore workspace root of `path`: the nearest directory above it holding an excore.toml or
--- a pyproject.toml with [tool.excore]; nil when there is none (the file is not ExCore's).
---@param path string a file or directory ('' means the current directory)
---@return string?
function M.find_root(path)
  if path == nil or path == '' or path:match('^%a[%w+.-]*://') then
    path = uv.cwd()
  end
  path = vim.fs.normalize(vim.fn.fnamemodify(path, ':p'))
  local dirs = {}
  if vim.fn.isdirectory(path) == 1 then
    dirs[1] = path:gsub('/$', '')
  end
  for dir in vim.fs.parents(path) do
    dirs[#dirs + 1] = dir
  end
  for _, dir in ipairs(dirs) do
    if is_file(dir .. '/excore.toml') then
      return dir
    end
    local pyproject = dir .. '/pyproject.toml'
    if is_file(pyproject) and M.pyproject_has_excore(read_file(pyproject) or '') then
      return dir
    end
  end
  return nil
end

local function python()
  local venv = vim.env.VIRTUAL_ENV
  if venv and is_executable(venv .. '/bin/python') then
    return venv .. '/bin/python'
  end
  for _, name in ipairs({ 'python3', 'python' }) do
    local exe = vim.fn.exepath(name)
    if exe ~= '' then
      return exe
    end
  end
  return 'python3'
end

--- The command starting the server: opts.cmd / vim.g.excore_server_cmd, else `excore-ls --stdio`
--- when on PATH, else `<python> -m excore_ls --stdio`.
---@return string[]
function M.server_cmd()
  local cmd = M.options.cmd or vim.g.excore_server_cmd
  if type(cmd) == 'table' and #cmd > 0 then
    return cmd
  end
  local exe = vim.fn.exepath('excore-ls')
  if exe ~= '' then
    return { exe, '--stdio' }
  end
  return { python(), '-m', 'excore_ls', '--stdio' }
end

--- The `excore` CLI next to the server: the sibling of an excore-ls executable, or the same Python.
---@return string[]
function M.cli_cmd()
  local cmd = M.server_cmd()
  for i = 1, #cmd - 1 do
    if cmd[i] == '-m' and cmd[i + 1] == 'excore_ls' then
      return { cmd[1], '-m', 'excore' }
    end
  end
  local exe = vim.fn.exepath(cmd[1])
  if exe ~= '' and vim.fs.basename(exe) == 'excore-ls' then
    local sibling = vim.fs.joinpath(vim.fs.dirname(exe), 'excore')
    if is_executable(sibling) then
      return { sibling }
    end
  end
  return { 'excore' }
end

function M.init_options()
  local index_path = M.options.index_path or vim.g.excore_index_path
  if index_path then
    return { indexPath = index_path }
  end
  return vim.empty_dict()
end

--- Absolute path of the index of the workspace at `root`.
function M.index_path(root)
  local path = M.options.index_path or vim.g.excore_index_path or '.excore/index.json'
  if path:sub(1, 1) == '/' then
    return path
  end
  return vim.fs.joinpath(root, path)
end

local skipped_dirs = { node_modules = true, __pycache__ = true, venv = true, build = true, dist = true }

--- 'missing', 'stale' (a Python file or the workspace file changed after the index was written)
--- or 'present', and for 'stale' the newest such file.
---@return 'missing'|'stale'|'present', string?
function M.index_state(root)
  local index = uv.fs_stat(M.index_path(root))
  if not index then
    return 'missing', nil
  end
  local function newer(stat)
    return stat.mtime.sec > index.mtime.sec
      or (stat.mtime.sec == index.mtime.sec and stat.mtime.nsec > index.mtime.nsec)
  end
  local entries = vim.fs.dir(root, {
    depth = 8,
    skip = function(name)
      return name:sub(1, 1) ~= '.' and not skipped_dirs[name]
    end,
  })
  for name, kind in entries do
    local base = vim.fs.basename(name)
    if
      kind == 'file'
      and (name:match('%.py$') or base == 'excore.toml' or base == 'pyproject.toml')
      and base:sub(1, 1) ~= '.'
    then
      local path = vim.fs.joinpath(root, name)
      local stat = uv.fs_stat(path)
      if stat and newer(stat) then
        return 'stale', path
      end
    end
  end
  return 'present', nil
end

---@return vim.lsp.Client[]
function M.clients(filter)
  return vim.lsp.get_clients(vim.tbl_extend('force', { name = 'excore' }, filter or {}))
end

local function notify(msg, level)
  vim.notify('excore: ' .. msg, level or vim.log.levels.INFO)
end

local function start_for_buffer(bufnr)
  local root = M.find_root(vim.api.nvim_buf_get_name(bufnr))
  if not root then
    return
  end
  local config = vim.deepcopy(vim.lsp.config.excore)
  config.name = 'excore'
  config.root_dir = root
  config.workspace_folders = { { name = vim.fs.basename(root), uri = vim.uri_from_fname(root) } }
  vim.lsp.start(config, { bufnr = bufnr })
end

--- Stop the excore clients and start them again for every TOML buffer of an ExCore workspace.
function M.restart()
  local clients = M.clients()
  for _, client in ipairs(clients) do
    client:stop()
  end
  local stopped = vim.wait(5000, function()
    for _, client in ipairs(clients) do
      if not client:is_stopped() then
        return false
      end
    end
    return true
  end, 20)
  if not stopped then
    for _, client in ipairs(clients) do
      client:stop(true)
    end
  end
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype == 'toml' then
      start_for_buffer(bufnr)
    end
  end
  notify(('restarted (%d buffer client(s))'):format(#M.clients()))
end

local function current_root()
  local client = M.clients({ bufnr = 0 })[1]
  if client and client.root_dir then
    return client.root_dir
  end
  return M.find_root(vim.api.nvim_buf_get_name(0))
end

local DUMP_COMMAND = 'excore.dumpIndex'

local function index_mtime(root)
  local stat = uv.fs_stat(M.index_path(root))
  return stat and (stat.mtime.sec + stat.mtime.nsec / 1e9) or nil
end

local function dump_with_cli(root, on_done)
  local cmd = vim.list_extend(M.cli_cmd(), { 'schema', 'dump', '--workspace', root })
  notify('dumping the index: ' .. table.concat(cmd, ' '))
  local ok, proc = pcall(vim.system, cmd, { text = true, cwd = root }, function(result)
    vim.schedule(function()
      local output = vim.trim((result.stdout or '') .. '\n' .. (result.stderr or ''))
      if result.code == 0 then
        notify('index written: ' .. M.index_path(root))
        M.restart()
      else
        notify(('`%s` failed (exit %d):\n%s'):format(table.concat(cmd, ' '), result.code, output), vim.log.levels.ERROR)
      end
      on_done(result.code == 0, output)
    end)
  end)
  if not ok then
    notify(('cannot run `%s`: %s'):format(cmd[1], proc), vim.log.levels.ERROR)
    on_done(false, tostring(proc))
  end
end

local function dump_with_server(client, root, bufnr, on_done)
  local before = index_mtime(root)
  notify('dumping the index (excore schema dump, by the server)')
  client:request('workspace/executeCommand', { command = DUMP_COMMAND, arguments = {} }, function(err, result)
    local after = index_mtime(root)
    local written = after ~= nil and (before == nil or after > before)
    if err then
      notify('dumping the index failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      on_done(false, err.message or '')
    elseif not written then
      -- the server reported the failure itself (window/showMessage)
      on_done(false, type(result) == 'string' and result or 'index not written')
    else
      notify('index written: ' .. M.index_path(root))
      on_done(true, type(result) == 'string' and result or '')
    end
  end, bufnr)
end

--- Write the workspace index (`excore schema dump --workspace <root>`): through the running
--- server when it offers the excore.dumpIndex command (it reloads the index at once), else with
--- the `excore` CLI next to the server, restarting the server afterwards.
---@param on_done? fun(ok: boolean, output: string)
function M.dump_index(on_done)
  on_done = on_done or function() end
  local bufnr = vim.api.nvim_get_current_buf()
  local root = current_root()
  if not root then
    notify('no ExCore workspace (excore.toml or pyproject.toml with [tool.excore]) here', vim.log.levels.ERROR)
    on_done(false, 'no workspace')
    return
  end
  for _, client in ipairs(M.clients()) do
    local provider = client.server_capabilities and client.server_capabilities.executeCommandProvider
    if
      not client:is_stopped()
      and client.root_dir == root
      and provider
      and vim.tbl_contains(provider.commands or {}, DUMP_COMMAND)
    then
      dump_with_server(client, root, bufnr, on_done)
      return
    end
  end
  dump_with_cli(root, on_done)
end

function M.create_commands()
  vim.api.nvim_create_user_command('ExcoreDumpIndex', function()
    M.dump_index()
  end, { desc = 'excore: write the workspace index (excore schema dump) and restart the server' })
  vim.api.nvim_create_user_command('ExcoreRestart', function()
    M.restart()
  end, { desc = 'excore: restart the language server' })
end

--- Configure and (unless opts.enable == false) enable the server. Only needed to change defaults.
---@param opts? excore.Options
function M.setup(opts)
  opts = opts or {}
  M.options = vim.tbl_deep_extend('force', M.options, opts)
  local overrides = {}
  if opts.cmd then
    overrides.cmd = opts.cmd
  end
  if opts.index_path then
    overrides.init_options = { indexPath = opts.index_path }
  end
  if opts.settings then
    overrides.settings = opts.settings
  end
  if next(overrides) then
    vim.lsp.config('excore', overrides)
  end
  M.create_commands()
  if opts.enable ~= false then
    vim.lsp.enable('excore')
  end
end

return M
