-- `vim.lsp.config` spec of the ExCore language server (Neovim >= 0.11).
-- Found on 'runtimepath' as lsp/excore.lua; override any field with vim.lsp.config('excore', {...})
-- or require('excore').setup({...}).
local excore = require('excore')

---@type vim.lsp.Config
return {
  cmd = excore.server_cmd(),
  filetypes = { 'toml' },
  -- A pyproject.toml only counts when it has a [tool.excore] table: root_dir below checks that,
  -- so TOML files of unrelated projects never start the server.
  root_markers = { 'excore.toml', 'pyproject.toml' },
  root_dir = function(bufnr, on_dir)
    local root = excore.find_root(vim.api.nvim_buf_get_name(bufnr))
    if root then
      on_dir(root)
    end
  end,
  init_options = excore.init_options(),
}
