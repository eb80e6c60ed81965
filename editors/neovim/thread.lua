-- Thread for Neovim (0.7 and later), without plugins.
--
-- Put this file on your runtimepath (for example ~/.config/nvim/lua/thread.lua) and add
--   require("thread").setup({ cmd = { "thread-lsp", "serve" } })
-- to init.lua. Options:
--   cmd           how to start the server (default: thread-lsp serve, from PATH)
--   init_options  Thread's settings, as in the README's configuration reference,
--                 e.g. { store = "postgres", databaseUrl = "postgres://..." }
--   filetypes     which buffers attach (default: Rust, Python, TypeScript/JavaScript, Go)

local M = {}

local markers = { "Cargo.toml", "pyproject.toml", "setup.py", "package.json", "tsconfig.json", "go.mod", "go.work" }

-- The repository holding `path` (its `.git`), else the nearest directory above it with
-- a project file, else the file's own directory.
local function root_of(path)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  local git = vim.fn.finddir(".git", dir .. ";")
  if git ~= "" then
    return vim.fn.fnamemodify(git, ":p:h:h")
  end
  local nearest = nil
  for _, marker in ipairs(markers) do
    local file = vim.fn.findfile(marker, dir .. ";")
    if file ~= "" then
      local found = vim.fn.fnamemodify(file, ":p:h")
      if nearest == nil or #found > #nearest then
        nearest = found
      end
    end
  end
  return nearest or dir
end

-- The "N dependents" lens's command: the uses' locations (its third argument) in the
-- quickfix list.
vim.lsp.commands["thread.showDependents"] = function(command)
  local locations = (command.arguments or {})[3] or {}
  vim.fn.setqflist({}, " ", { title = command.title, items = vim.lsp.util.locations_to_items(locations, "utf-16") })
  vim.cmd("copen")
end

-- Keeps the buffer's code lenses current: Neovim 0.7 asks only when told to.
local function refresh_lenses(client, bufnr)
  if not client.server_capabilities.codeLensProvider then
    return
  end
  vim.lsp.codelens.refresh()
  vim.api.nvim_create_autocmd({ "BufEnter", "InsertLeave", "CursorHold" }, {
    buffer = bufnr,
    callback = function() vim.lsp.codelens.refresh() end,
  })
end

function M.setup(options)
  options = options or {}
  local clients = {}
  local filetypes = options.filetypes
    or { "rust", "python", "typescript", "typescriptreact", "javascript", "javascriptreact", "go", "vue", "svelte" }
  vim.api.nvim_create_autocmd("FileType", {
    pattern = filetypes,
    callback = function(event)
      local path = vim.api.nvim_buf_get_name(event.buf)
      if path == "" then
        return
      end
      local root = root_of(path)
      if not clients[root] then
        clients[root] = vim.lsp.start_client({
          name = "thread",
          cmd = options.cmd or { "thread-lsp", "serve" },
          root_dir = root,
          init_options = options.init_options or {},
          flags = { debounce_text_changes = 0 },
          on_attach = refresh_lenses,
        })
      end
      if clients[root] then
        vim.lsp.buf_attach_client(event.buf, clients[root])
      end
    end,
  })
end

return M
