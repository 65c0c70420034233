-- :checkhealth excore
local M = {}

local function server_version(cmd)
  for _, client in ipairs(require('excore').clients()) do
    if client.server_info and client.server_info.version then
      return ('%s %s (running client %d)'):format(client.server_info.name or '', client.server_info.version, client.id)
    end
  end
  local args = vim.tbl_filter(function(arg)
    return arg ~= '--stdio'
  end, cmd)
  table.insert(args, '--version')
  local ok, proc = pcall(vim.system, args, { text = true, stdin = false })
  if not ok then
    return nil, tostring(proc)
  end
  local result = proc:wait(10000)
  local out = vim.trim((result.stdout or '') .. ' ' .. (result.stderr or ''))
  if result.code == 0 and out ~= '' then
    return out:gsub('\n.*', '')
  end
  return nil, ('`%s` exited %d: %s'):format(table.concat(args, ' '), result.code, out)
end

--- Start the server with its stdin closed: a server that can start reads end-of-file and exits
--- 0; one that cannot (a missing dependency, a broken install) exits non-zero with its reason on
--- stderr, which is returned.
local function start_failure(cmd)
  local ok, proc = pcall(vim.system, cmd, { text = true, stdin = '' })
  if not ok then
    return tostring(proc)
  end
  local result = proc:wait(20000)
  if result.code == 0 then
    return nil
  end
  local lines = vim.split(vim.trim(result.stderr or ''), '\n')
  local tail = table.concat(vim.list_slice(lines, math.max(1, #lines - 11)), '\n')
  return ('exit %d%s'):format(result.code, tail ~= '' and (':\n' .. tail) or ' (no output on stderr)')
end

function M.check()
  local health = vim.health
  local excore = require('excore')

  health.start('excore: Neovim')
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. tostring(vim.version()))
  else
    health.error('Neovim >= 0.11 is required (vim.lsp.config / vim.lsp.enable)')
  end

  health.start('excore: language server')
  local cmd = (vim.lsp.config.excore or {}).cmd
  if type(cmd) ~= 'table' then
    cmd = excore.server_cmd()
  end
  local exe = vim.fn.exepath(cmd[1])
  if exe == '' then
    health.error(('`%s` not found (command: %s)'):format(cmd[1], table.concat(cmd, ' ')), {
      'install ExCore in the environment of your project (pip install /path/to/ExCore, or a built wheel) and start Neovim from it',
      "or set the command: require('excore').setup({ cmd = { '/path/to/excore-ls', '--stdio' } })",
    })
  else
    local version, err = server_version(vim.list_extend({ exe }, vim.list_slice(cmd, 2)))
    if version then
      health.ok(('`%s` found: %s'):format(exe, version))
    else
      health.warn(('`%s` found, but its version could not be read: %s'):format(exe, err or ''))
    end
    local failure = start_failure(vim.list_extend({ exe }, vim.list_slice(cmd, 2)))
    if failure then
      health.error(('`%s` cannot start: %s'):format(table.concat(cmd, ' '), failure), {
        'install ExCore in the environment of your project (pip install /path/to/ExCore, or a built wheel) and start Neovim from it',
      })
    else
      health.ok('the server starts')
    end
  end

  health.start('excore: workspace index (as the server sees it)')
  -- :checkhealth opens its own buffer: the file the user was in is the alternate one.
  -- (the health buffer's own name is no file: then the current folder's workspace)
  local start = vim.fn.expand('#:p')
  if start == '' or vim.bo.filetype ~= 'checkhealth' then
    start = vim.api.nvim_buf_get_name(0)
  end
  if start == '' or start:match('^%a[%w+.-]*://') then
    start = vim.uv.cwd()
  end
  local answer
  excore.request_status(start, function(status, err)
    answer = { status = status, err = err }
  end)
  if not vim.wait(20000, function()
    return answer ~= nil
  end, 20) then
    health.error('the server did not answer excore/status in 20 s')
    return
  end
  if answer.err then
    health.error('cannot ask the server: ' .. answer.err)
    return
  end
  local status = answer.status
  if not status then
    health.info(
      ('%s is in no ExCore workspace (no excore.toml, pyproject.toml with [tool.excore] or .excore.toml above it)'):format(
        start
      )
    )
    return
  end
  health.ok(('workspace: %s (%s)'):format(status.root, status.workspaceFile or '?'))
  local why = (status.message or '') ~= '' and (': ' .. status.message) or ''
  if status.state == 'loaded' then
    health.ok('index loaded: ' .. status.path)
  else
    health.warn(('index %s: %s%s'):format(status.state, status.path, why), { 'run :ExcoreDumpIndex' })
  end
  local clients = excore.clients()
  if #clients == 0 then
    health.info('no excore client running (open a TOML file of the workspace)')
  end
  for _, client in ipairs(clients) do
    local folders = vim.tbl_map(function(f)
      return vim.uri_to_fname(f.uri)
    end, client.workspace_folders or {})
    health.ok(('client %d running, workspaces: %s'):format(client.id, table.concat(folders, ', ')))
  end
end

return M
