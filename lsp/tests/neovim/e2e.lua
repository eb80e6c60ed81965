-- Drives Neovim's own LSP client against thread-lsp, headless, through the setup this
-- repository ships (editors/neovim/thread.lua). Reads THREAD_LSP (the server binary),
-- THREAD_EDITORS (the editors/ directory), THREAD_WORKSPACE (the fixture) and
-- THREAD_RESULT (where to write what happened, as JSON), then quits. Written for
-- Neovim 0.7 (Debian bookworm) and later.

local server = os.getenv("THREAD_LSP")
local root = os.getenv("THREAD_WORKSPACE")
local result_path = os.getenv("THREAD_RESULT")
local result = { steps = {} }

local function finish()
  local file = io.open(result_path, "w")
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qall!")
end

local function step(name, ok, detail)
  table.insert(result.steps, { name = name, ok = ok, detail = detail })
end

local function codes(bufnr)
  local found = {}
  for _, diagnostic in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(found, diagnostic.code or "")
  end
  table.sort(found)
  return table.concat(found, ",")
end

local ok, failure = pcall(function()
  package.path = os.getenv("THREAD_EDITORS") .. "/neovim/?.lua;" .. package.path
  vim.cmd("filetype on")
  require("thread").setup({ cmd = { server, "serve" }, init_options = { store = "memory" } })

  vim.cmd("edit " .. root .. "/app/models.py")
  local models = vim.api.nvim_get_current_buf()
  vim.cmd("edit " .. root .. "/app/views.py")
  local views = vim.api.nvim_get_current_buf()
  vim.wait(20000, function() return next(vim.lsp.buf_get_clients(views)) ~= nil end, 20)
  local clients = vim.lsp.buf_get_clients(views)
  local client_id = next(clients)
  step("the shipped setup attaches", client_id ~= nil and clients[client_id].name == "thread", vim.inspect(vim.tbl_keys(clients)))

  -- 1. Diagnostics arrive: views.py imports a module that does not exist.
  local arrived = vim.wait(20000, function() return codes(views) == "unresolved-import" end, 20)
  step("diagnostics arrive", arrived, codes(views))

  -- 2. An edit in models.py (unsaved) breaks views.py's import of User.
  vim.api.nvim_buf_set_lines(models, 0, 1, false, { "class Person:" })
  local broken = vim.wait(20000, function() return codes(views) == "broken-import,unresolved-import" end, 20)
  step("an edit updates them", broken, codes(views))

  -- ... and undoing it clears the broken import again.
  vim.api.nvim_buf_set_lines(models, 0, 1, false, { "class User:" })
  local fixed = vim.wait(20000, function() return codes(views) == "unresolved-import" end, 20)
  step("fixing clears them", fixed, codes(views))

  -- 3. Incoming calls of models.helper come from views.show, across files.
  local client = vim.lsp.get_client_by_id(client_id)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(models) },
    position = { line = 4, character = 5 },
  }
  local prepared = client.request_sync("textDocument/prepareCallHierarchy", params, 10000, models)
  local item = prepared and prepared.result and prepared.result[1]
  step("prepare call hierarchy", item ~= nil and item.name == "helper", item and item.name or vim.inspect(prepared))
  if item then
    local incoming = client.request_sync("callHierarchy/incomingCalls", { item = item }, 10000, models)
    local callers = {}
    for _, call in ipairs((incoming and incoming.result) or {}) do
      table.insert(callers, call.from.name .. "@" .. vim.uri_to_fname(call.from.uri):gsub("^.*/app/", "app/"))
    end
    table.sort(callers)
    step("incoming calls", table.concat(callers, ",") == "show@app/views.py", table.concat(callers, ","))
  end

  -- 4. The "N dependents" lens over models.helper, as Neovim shows it.
  vim.api.nvim_set_current_buf(models)
  vim.lsp.codelens.refresh()
  local function lens_titles()
    local titles = {}
    for _, lens in ipairs(vim.lsp.codelens.get(models)) do
      table.insert(titles, (lens.range.start.line) .. ":" .. ((lens.command or {}).title or "?"))
    end
    table.sort(titles)
    return table.concat(titles, ",")
  end
  local lensed = vim.wait(20000, function() return lens_titles() == "0:1 dependent,4:1 dependent" end, 50)
  step("dependents lenses", lensed, lens_titles())

  client.stop()
  vim.wait(5000, function() return client.is_stopped() end, 20)
end)
if not ok then
  step("script", false, tostring(failure))
end
finish()
