-- Thread for Neovim 0.11 and later, in the `lsp/<name>.lua` form that `vim.lsp.enable`
-- and nvim-lspconfig read. Put this file on your runtimepath as `lsp/thread.lua` (for
-- example ~/.config/nvim/lsp/thread.lua) and add to init.lua:
--
--   vim.lsp.enable("thread")
--
-- Override any field with vim.lsp.config("thread", { ... }), e.g. settings for another
-- store: vim.lsp.config("thread", { init_options = { store = "postgres" } }).
-- For Neovim 0.7 to 0.10, use ../thread.lua instead.
return {
  cmd = { "thread-lsp", "serve" },
  filetypes = {
    "rust",
    "python",
    "typescript",
    "typescriptreact",
    "javascript",
    "javascriptreact",
    "go",
    "vue",
    "svelte",
  },
  -- A repository, else the nearest project file, is the workspace Thread indexes.
  root_markers = {
    { ".git" },
    { "Cargo.toml", "pyproject.toml", "setup.py", "package.json", "tsconfig.json", "go.mod", "go.work" },
  },
  -- Thread's settings, as in the README's configuration reference; read at start.
  init_options = { store = "sqlite" },
  -- The same settings, for `workspace/configuration` and later changes.
  settings = { thread = { store = "sqlite" } },
}
