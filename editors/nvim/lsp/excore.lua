-- `vim.lsp.config` spec of the ExCore language server (Neovim >= 0.11).
-- Found on 'runtimepath' as lsp/excore.lua; override any field with vim.lsp.config('excore', {...})
-- or require('excore').setup({...}).
local excore = require('excore')

---@type vim.lsp.Config
return {
  cmd = excore.server_cmd(),
  filetypes = { 'toml' },
  -- The server says which ExCore workspace a TOML file belongs to (the engine's own search); a
  -- file in none is left alone. One server serves every workspace (its folders grow as files
  -- of new workspaces are opened).
  root_dir = excore.root_dir,
  reuse_client = excore.reuse_client,
  handlers = {
    ['excore/indexStatus'] = function(_, status)
      excore.on_status(status)
    end,
  },
  init_options = excore.init_options(),
}
