-- ExCore for Neovim (>= 0.11): a thin client of `excore-ls`. It decides nothing about
-- workspaces or indexes: ONE server serves every ExCore workspace of the session, and the
-- server says which workspace a TOML file belongs to (request `excore/status`; none: the buffer
-- is left alone), what state its index is in (the same object, pushed as `excore/indexStatus`)
-- and which command refreshes it (run with workspace/executeCommand). The LSP spec is
-- lsp/excore.lua; this module resolves the command and provides :ExcoreStatus,
-- :ExcoreDumpIndex and :ExcoreRestart.
local M = {}

---@class excore.Options
---@field cmd? string[] command starting the server (default: excore-ls on PATH, else python -m excore_ls)
---@field index_path? string index file, relative to each workspace root (default: the workspace's index_dir)
---@field settings? table sent to the server as workspace/configuration
---@field enable? boolean call vim.lsp.enable('excore') (default true)
M.options = {}

--- What the server last said about each workspace: root -> status object
--- `{root, uri, workspaceFile, state, path, message, command}` (see excore_ls/README.md).
---@type table<string, table>
M.statuses = {}

local uv = vim.uv or vim.loop
local NAME = 'excore'

local function is_executable(path)
  return path ~= nil and path ~= '' and vim.fn.executable(path) == 1
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

function M.init_options()
  local index_path = M.options.index_path or vim.g.excore_index_path
  if index_path then
    return { indexPath = index_path }
  end
  return vim.empty_dict()
end

local function notify(msg, level)
  vim.notify('excore: ' .. msg, level or vim.log.levels.INFO)
end

---@return vim.lsp.Client[]
function M.clients(filter)
  return vim.lsp.get_clients(vim.tbl_extend('force', { name = NAME }, filter or {}))
end

--- The one running server (a client that may have no buffer yet), or nil.
---@return vim.lsp.Client?
function M.server()
  for _, client in ipairs(M.clients()) do
    if not client:is_stopped() then
      return client
    end
  end
end

local function server_config()
  local config = vim.deepcopy(vim.lsp.config[NAME] or {})
  config.name = NAME
  config.root_dir = nil -- the server finds the workspaces; folders are added as files come
  config.workspace_folders = nil
  return config
end

--- Call `fn(client)` once the server is initialized, starting it (attached to no buffer) when
--- none runs; `fn(nil, reason)` when it cannot start.
local function with_server(fn)
  local client = M.server()
  if not client then
    local id = vim.lsp.start(server_config(), { attach = false, silent = true })
    client = id and vim.lsp.get_client_by_id(id)
    if not client then
      fn(nil, ('cannot start `%s`'):format(table.concat(server_config().cmd or M.server_cmd(), ' ')))
      return
    end
  end
  local deadline = uv.now() + 20000
  local function poll()
    if client.initialized then
      fn(client)
    elseif client:is_stopped() or uv.now() > deadline then
      fn(nil, 'the server stopped before it was ready (see :checkhealth excore and :LspLog)')
    else
      vim.defer_fn(poll, 20)
    end
  end
  poll()
end

local function buffer_uri(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' or name:match('^%a[%w+.-]*://') then
    return nil
  end
  return vim.uri_from_fname(vim.fs.normalize(vim.fn.fnamemodify(name, ':p')))
end

local warned = {}

--- Keep what the server said, and tell the user once when an index needs a dump.
function M.on_status(status)
  if type(status) ~= 'table' or type(status.root) ~= 'string' then
    return
  end
  M.statuses[status.root] = status
  local key = status.root .. ':' .. tostring(status.state)
  if (status.state == 'missing' or status.state == 'stale') and not warned[key] then
    warned[key] = true
    notify(
      ('%s: index %s (%s)%s; run :ExcoreDumpIndex'):format(
        vim.fs.basename(status.root),
        status.state,
        status.path or '?',
        (status.message or '') ~= '' and (': ' .. status.message) or ''
      ),
      vim.log.levels.WARN
    )
  elseif status.state == 'loaded' then
    warned[status.root .. ':missing'], warned[status.root .. ':stale'] = nil, nil
  end
  pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = 'ExcoreStatus', data = status })
  vim.cmd.redrawstatus({ bang = true, mods = { emsg_silent = true } })
end

--- Ask the server for the status of the workspace of `target` (a buffer number, or the path of
--- a file or folder); `on_done(status or nil, err)`.
function M.request_status(target, on_done)
  local bufnr, uri
  if type(target) == 'string' then
    uri = vim.uri_from_fname(vim.fs.normalize(vim.fn.fnamemodify(target, ':p')))
  else
    bufnr = target ~= 0 and target or vim.api.nvim_get_current_buf()
    uri = buffer_uri(bufnr)
  end
  if not uri then
    on_done(nil)
    return
  end
  with_server(function(client, reason)
    if not client then
      on_done(nil, reason)
      return
    end
    client:request('excore/status', { uri = uri }, function(err, result)
      if err then
        on_done(nil, err.message or vim.inspect(err))
        return
      end
      if type(result) == 'table' then
        M.on_status(result)
        if bufnr then
          vim.b[bufnr].excore_root = result.root
        end
      end
      on_done(type(result) == 'table' and result or nil)
    end)
  end)
end

--- The `root_dir` of lsp/excore.lua: the server decides. A buffer outside every ExCore
--- workspace is left alone (and a server serving no buffer stops again).
function M.root_dir(bufnr, on_dir)
  M.request_status(bufnr, function(status, err)
    local client = M.server()
    if status then
      if client and client.initialized then
        local folders = client.workspace_folders or {}
        local uri = vim.uri_from_fname(status.root)
        if not vim.iter(folders):any(function(f)
          return f.uri == uri
        end) then
          local folder = { uri = uri, name = status.root }
          client:notify('workspace/didChangeWorkspaceFolders', { event = { added = { folder }, removed = {} } })
          client.workspace_folders = vim.list_extend(folders, { folder })
        end
      end
      on_dir(status.root)
    elseif err then
      notify(err, vim.log.levels.ERROR)
    elseif client and vim.tbl_isempty(client.attached_buffers or {}) then
      client:stop()
    end
  end)
end

--- The one client serves every workspace.
function M.reuse_client(client, config)
  return client.name == config.name and not client:is_stopped()
end

--- The status of the workspace of `bufnr` as the server last told it, or nil.
function M.status(bufnr)
  local root = vim.b[bufnr ~= nil and bufnr ~= 0 and bufnr or vim.api.nvim_get_current_buf()].excore_root
  return root and M.statuses[root] or nil
end

local LABELS = { loaded = 'index loaded', missing = 'index missing', stale = 'index stale' }

--- For 'statusline': "ExCore: index loaded" (missing, stale) in an ExCore buffer, else ''.
function M.statusline()
  local status = M.status(0)
  return status and ('ExCore: ' .. (LABELS[status.state] or tostring(status.state))) or ''
end

local function describe(status)
  local lines = {
    ('workspace %s (%s)'):format(status.root, status.workspaceFile or '?'),
    ('%s: %s'):format(LABELS[status.state] or status.state, status.path or '?'),
  }
  if (status.message or '') ~= '' then
    lines[#lines + 1] = status.message
  end
  if status.state ~= 'loaded' then
    lines[#lines + 1] = 'run :ExcoreDumpIndex'
  end
  return table.concat(lines, '\n')
end

--- :ExcoreStatus: what the server says about the current buffer's workspace, asked now.
function M.show_status(on_done)
  on_done = on_done or function() end
  M.request_status(0, function(status, err)
    if status then
      notify(describe(status), status.state == 'loaded' and vim.log.levels.INFO or vim.log.levels.WARN)
    else
      notify(err or 'this file is in no ExCore workspace (the server found no excore.toml, pyproject.toml with [tool.excore] or .excore.toml above it)', err and vim.log.levels.ERROR or vim.log.levels.INFO)
    end
    on_done(status, err)
  end)
end

--- Stop the server and start it again for every TOML buffer.
function M.restart()
  local clients = M.clients()
  for _, client in ipairs(clients) do
    client:stop()
  end
  local stopped = vim.wait(5000, function()
    return vim.iter(clients):all(function(client)
      return client:is_stopped()
    end)
  end, 20)
  if not stopped then
    for _, client in ipairs(clients) do
      client:stop(true)
    end
  end
  M.statuses = {}
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype == 'toml' then
      M.root_dir(bufnr, function(root)
        local config = server_config()
        config.root_dir = root
        vim.lsp.start(config, { bufnr = bufnr, reuse_client = M.reuse_client })
      end)
    end
  end
  notify('restarted')
end

--- :ExcoreDumpIndex: run the command the server offers for the current buffer's workspace
--- (`excore.dumpIndex <root>`); the server re-reads the index and says how it went.
---@param on_done? fun(ok: boolean, output: string)
function M.dump_index(on_done)
  on_done = on_done or function() end
  M.request_status(0, function(status, err)
    local client = M.server()
    if not status or not client then
      local why = err or 'this file is in no ExCore workspace'
      notify('cannot dump the index: ' .. why, vim.log.levels.ERROR)
      on_done(false, why)
      return
    end
    local command = status.command
    notify(('dumping the index of %s (%s)'):format(vim.fs.basename(status.root), command.title or command.command))
    client:request('workspace/executeCommand', { command = command.command, arguments = command.arguments }, function(rerr, result)
      if rerr then
        notify('dumping the index failed: ' .. (rerr.message or vim.inspect(rerr)), vim.log.levels.ERROR)
        on_done(false, rerr.message or '')
        return
      end
      result = type(result) == 'table' and result or {}
      for _, s in ipairs(result.statuses or {}) do
        M.on_status(s)
      end
      local output = result.output or ''
      if result.ok then
        notify('index written: ' .. (M.statuses[status.root] or status).path)
      else
        -- the server showed the failure itself (window/showMessage)
        local first = vim.split(vim.trim(output), '\n')[1] or ''
        notify('dumping the index failed: ' .. first, vim.log.levels.ERROR)
      end
      on_done(result.ok == true, output)
    end)
  end)
end

function M.create_commands()
  vim.api.nvim_create_user_command('ExcoreDumpIndex', function()
    M.dump_index()
  end, { desc = "excore: write the workspace index (the server's excore.dumpIndex)" })
  vim.api.nvim_create_user_command('ExcoreStatus', function()
    M.show_status()
  end, { desc = "excore: the server's status of this file's workspace and index" })
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
    vim.lsp.config(NAME, overrides)
  end
  M.create_commands()
  if opts.enable ~= false then
    vim.lsp.enable(NAME)
  end
end

return M
