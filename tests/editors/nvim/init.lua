-- Minimal user config for the end-to-end tests: the plugin on 'runtimepath' the way a plugin
-- manager puts it there, nothing else. EXCORE_E2E_SERVER_CMD (JSON list) overrides the command.
local here = vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2))
local repo = vim.fs.normalize(here .. '/../../..')
vim.opt.runtimepath:prepend(repo .. '/editors/nvim')
vim.opt.swapfile = false
vim.opt.shortmess:append('I')
vim.o.columns = 110
vim.o.lines = 28
vim.o.number = true
vim.diagnostic.config({ virtual_text = true })

if vim.env.EXCORE_E2E_NO_AUTOENABLE == '1' then
  vim.g.excore_no_autoenable = true
end

local cmd = vim.env.EXCORE_E2E_SERVER_CMD
if cmd and cmd ~= '' then
  vim.g.excore_server_cmd = vim.json.decode(cmd)
end
