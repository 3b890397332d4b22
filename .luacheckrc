-- luacheck configuration for synack.
std = "max"
max_line_length = 120
codes = true
files["spec"] = { std = "+busted" }
files["tools"] = { std = "+busted" }
exclude_files = { "build/" }
-- types/: LuaCATS stubs for lua-language-server; their functions have empty
-- bodies (unused arguments) and their class tables are only declared.
files["types"] = { ignore = { "212", "241" }, max_line_length = false }
-- A REPL session as a file: its names are globals on purpose (each line
-- typed at the prompt is a chunk of its own, so locals would not survive).
files["examples/repl_session.lua"] = { allow_defined_top = true, globals = { "synack" } }
