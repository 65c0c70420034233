-- Loaded at startup: user commands, and the server enabled for TOML files of ExCore workspaces
-- unless vim.g.excore_no_autoenable is set (then call require('excore').setup() yourself).
if vim.g.loaded_excore then
  return
end
vim.g.loaded_excore = true

if vim.fn.has('nvim-0.11') == 0 then
  vim.notify('excore: Neovim >= 0.11 is required (vim.lsp.config)', vim.log.levels.WARN)
  return
end

require('excore').create_commands()

if not vim.g.excore_no_autoenable then
  vim.lsp.enable('excore')
end
