-- luacheck configuration for synack.
std = "max"
max_line_length = 120
codes = true
files["spec"] = { std = "+busted" }
files["tools"] = { std = "+busted" }
exclude_files = { "build/" }
