/*
 * lua-san.c: a minimal stand-alone Lua interpreter for sanitized test runs.
 *
 * `make test SANITIZE=...` builds this file with the same -fsanitize flags
 * as the module and links it with the system's Lua library, so the
 * sanitizer runtime lives in the interpreter itself. The alternative,
 * LD_PRELOAD of the runtime into the distribution's interpreter, leaks into
 * every program a spec starts (curl, tshark, python), some of which hang
 * under it.
 *
 * It takes what tools/run-tests.sh and bin/synack pass to `lua`:
 *   lua-san [-e chunk]... script [args...]
 * and sets the global `arg` the way lua.c does (arg[0] the script, arg[-1]
 * the interpreter, arg[1..n] the arguments).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

static int report(lua_State *L, int status) {
  if (status != 0) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "lua-san: %s\n",
            msg ? msg : "(error object is not a string)");
    lua_pop(L, 1);
  }
  return status;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL)
    msg = "(error object is not a string)";
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int docall(lua_State *L, int narg) {
  int status, base = lua_gettop(L) - narg;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  status = lua_pcall(L, narg, 0, base);
  lua_remove(L, base);
  return status;
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  int i = 1, status = 0, script, n;
  if (L == NULL) {
    fprintf(stderr, "lua-san: cannot create a state\n");
    return 1;
  }
  luaL_openlibs(L);
  while (i < argc && strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
    status = report(L, luaL_loadstring(L, argv[i + 1]) || docall(L, 0));
    if (status)
      goto done;
    i += 2;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: %s [-e chunk]... script [args...]\n", argv[0]);
    status = 1;
    goto done;
  }
  script = i;
  lua_createtable(L, argc - script, script + 1);
  for (n = 0; n < argc; n++) {
    lua_pushstring(L, argv[n]);
    lua_rawseti(L, -2, n - script);
  }
  lua_setglobal(L, "arg");
  status = luaL_loadfile(L, argv[script]);
  if (status == 0) {
    for (n = script + 1; n < argc; n++)
      lua_pushstring(L, argv[n]);
    status = docall(L, argc - script - 1);
  }
  report(L, status);
done:
  lua_close(L);
  return status ? 1 : 0;
}
