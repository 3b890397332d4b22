# synack: build, test, demo, check, fuzz, install.
#
#   make demo            install what is missing, build, run examples/handshake.lua
#   make test            install what is missing, build, run the C and Lua specs on $(LUA)
#   make check           make test on every Lua found, plus luacheck and the layer check
#   make fuzz            libFuzzer targets (clang), FUZZ_SECONDS each
#   make bench           install what is missing, build, run bench/ beside its peers
#                        (iperf3, Scapy, the kernel), write bench/RESULTS.md
#   make test SANITIZE=address,undefined   everything under ASan+UBSan (clang), own BUILD dir
#   make valgrind        the C tests and a Lua transfer under valgrind memcheck
#   make soak            thousands of connections over random impairments (tools/soak.lua)
#   make install         PREFIX, DESTDIR, LUA_LIBDIR, LUA_SHAREDIR
#
# Variables: LUA (interpreter, default lua5.4), LUA_INCDIR, LIBUV_INCDIR,
# LIBUV_LIBDIR, CC, CFLAGS, SANITIZE (e.g. address,undefined).
#
# The targets that install dependencies call a sub-make after tools/deps.sh,
# so that everything computed from the installed tools is computed afresh.

LUA ?= lua5.4
CC ?= cc
LUANAME = $(notdir $(LUA))
# A sanitized build lives in its own directory, and is made with clang unless
# CC was given; its specs run in an interpreter built with the same
# sanitizers (tools/lua-san.c, see _test below).
ifneq ($(SANITIZE),)
BUILD ?= build/$(LUANAME)-san
ifeq ($(origin CC),default)
CC = clang
endif
else
BUILD ?= build/$(LUANAME)
endif
SUBMAKE = $(MAKE) --no-print-directory
# V=1 shows the full compiler lines.
Q = $(if $(V),,@)
say = $(if $(V),,@echo "  $(1)	$(2)";)

# What the interpreter is: "5.4", "5.1" (LuaJIT too), and whether it is LuaJIT.
LUA_VERSION = $(shell $(LUA) -e 'io.write((_VERSION:match("%d+%.%d+")))' 2>/dev/null)
LUA_IS_JIT = $(shell $(LUA) -e 'io.write(jit and "1" or "")' 2>/dev/null)
LUA_PKG = $(if $(LUA_IS_JIT),luajit,lua$(LUA_VERSION))
LUA_INCDIR = $(shell pkg-config --variable=includedir $(LUA_PKG) 2>/dev/null)/$(if $(LUA_IS_JIT),luajit-2.1,lua$(LUA_VERSION))
# lua-compat53 lives beside the 5.1 and 5.2 headers; LuaJIT uses the 5.1 copy.
COMPAT53_INCDIR = /usr/include/lua$(if $(LUA_IS_JIT),5.1,$(LUA_VERSION))

LIBUV_CFLAGS = $(if $(LIBUV_INCDIR),-I$(LIBUV_INCDIR),$(shell pkg-config --cflags libuv 2>/dev/null))
LIBUV_LIBS = $(if $(LIBUV_LIBDIR),-L$(LIBUV_LIBDIR) -luv,$(shell pkg-config --libs libuv 2>/dev/null || echo -luv))

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
OPT ?= -O2 -g
SAN = $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)
BASE_CFLAGS = -std=c99 -D_DEFAULT_SOURCE -D_GNU_SOURCE -fPIC $(OPT) $(WARN) $(SAN) $(CFLAGS)

# Layers: the core sees only itself; links and the uv driver see libuv;
# only the binding sees Lua (DESIGN.md). tools/check-layers.sh enforces the rest.
CORE_CFLAGS = $(BASE_CFLAGS) -Isrc/core
LINK_CFLAGS = $(BASE_CFLAGS) -Isrc/core -Isrc/link -Isrc/uv $(LIBUV_CFLAGS)
LUA_CFLAGS = $(BASE_CFLAGS) -Isrc/core -Isrc/link -Isrc/uv -Isrc/lua -I$(LUA_INCDIR) \
             -idirafter $(COMPAT53_INCDIR) $(LIBUV_CFLAGS)

CORE_SRC = $(sort $(wildcard src/core/*.c))
LINK_SRC = $(sort $(wildcard src/link/*.c src/uv/*.c))
LUA_SRC = $(sort $(wildcard src/lua/*.c))
CORE_OBJ = $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)
LINK_OBJ = $(LINK_SRC:src/%.c=$(BUILD)/obj/%.o)
LUA_OBJ = $(LUA_SRC:src/%.c=$(BUILD)/obj/%.o)
HEADERS = $(wildcard src/*/*.h)
MODULE = $(BUILD)/synack/core.so

CTEST_SRC = $(sort $(wildcard spec/c/test_*.c))
CTEST_BIN = $(CTEST_SRC:spec/c/%.c=$(BUILD)/ctest/%)

.PHONY: all build deps test check demo fuzz install clean lint format _test _demo _check _fuzz ctest spec \
        bench _bench \
        valgrind _valgrind soak _soak

all: build
build: layers $(MODULE)

layers:
	@tools/check-layers.sh

$(BUILD)/obj/core/%.o: src/core/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CORE_CFLAGS) -c $< -o $@

$(BUILD)/obj/link/%.o: src/link/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(LINK_CFLAGS) -c $< -o $@

$(BUILD)/obj/uv/%.o: src/uv/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(LINK_CFLAGS) -c $< -o $@

$(BUILD)/obj/lua/%.o: src/lua/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(LUA_CFLAGS) -c $< -o $@

$(MODULE): $(CORE_OBJ) $(LINK_OBJ) $(LUA_OBJ)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)$(CC) -shared $(SAN) -o $@ $^ $(LIBUV_LIBS) $(LDFLAGS)

# C unit tests: one binary per spec/c/test_*.c, linked with the core only.
$(BUILD)/ctest/%: spec/c/%.c $(CORE_OBJ) $(wildcard spec/c/*.h)
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(CORE_CFLAGS) -Ispec/c $< $(CORE_OBJ) -o $@

deps:
	@tools/deps.sh test

test:
	@tools/deps.sh test
	@$(SUBMAKE) _test

# Under SANITIZE the specs run in tools/lua-san.c, an interpreter built with
# the same sanitizers and linked with the system's Lua library.
LUA_SAN = $(if $(SANITIZE),$(BUILD)/lua-san)
LUA_LIBS = $(shell pkg-config --libs $(LUA_PKG) 2>/dev/null || echo -l$(LUA_PKG))

$(BUILD)/lua-san: tools/lua-san.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(BASE_CFLAGS) -I$(LUA_INCDIR) $< -o $@ $(LUA_LIBS) -lm -ldl

_test: build $(CTEST_BIN) $(LUA_SAN)
	@SYNACK_BUILD=$(BUILD) LUA=$(LUA) LUA_SAN=$(LUA_SAN) SANITIZE=$(SANITIZE) CC=$(CC) tools/run-tests.sh $(CTEST_BIN)

# valgrind memcheck: the C tests and one Lua transfer, on a plain -O1 build.
VG = valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
     --track-origins=yes --quiet
valgrind:
	@tools/deps.sh test
	@command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)"; exit 1; }
	@$(SUBMAKE) BUILD=build/$(LUANAME)-vg OPT="-O1 -g" _valgrind

_valgrind: build $(CTEST_BIN)
	@SYNACK_BUILD=$(BUILD) LUA=$(LUA) VALGRIND="$(VG)" tools/run-tests.sh --valgrind $(CTEST_BIN)

# The soak: SOAK_CONNS connections over random impairments (tools/soak.lua).
SOAK_CONNS ?= 3000
SOAK_SEED ?= 1
soak:
	@tools/deps.sh test
	@$(SUBMAKE) _soak

_soak: build
	@SYNACK_BUILD=$(BUILD) LUA=$(LUA) bin/synack tools/soak.lua $(SOAK_CONNS) $(SOAK_SEED)

demo:
	@tools/deps.sh demo
	@$(SUBMAKE) build
	@LUA=$(LUA) bin/synack examples/handshake.lua

check:
	@tools/deps.sh check
	@$(SUBMAKE) _check

_check:
	@tools/check-all.sh

lint:
	luacheck -q lua spec bin examples bench tools types

format:
	clang-format -i src/*/*.c src/*/*.h spec/c/*.c spec/c/*.h fuzz/*.c bench/*.c

FUZZ_SECONDS ?= 30
FUZZ_SRC = $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BIN = $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
# Targets link the core and the in-memory wire (no libuv): fuzz_pair runs two
# hosts over an impaired wire.
build/fuzz/%: fuzz/%.c $(CORE_SRC) src/link/wire.c $(HEADERS)
	@mkdir -p $(dir $@)
	clang -std=c99 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core -Isrc/link \
	  $< $(CORE_SRC) src/link/wire.c -o $@

fuzz:
	@tools/deps.sh fuzz
	@$(SUBMAKE) _fuzz

# Each target runs FUZZ_SECONDS on its working corpus plus the seeds in
# fuzz/corpus/<name>; a crash fails the run (its input is left in build/fuzz/).
# The closing line "fuzz: N passed, N failed" counts targets.
_fuzz: $(FUZZ_BIN)
	@p=0; f=0; for t in $(FUZZ_BIN); do \
	  name=$$(basename $$t); mkdir -p build/fuzz/corpus-$$name; \
	  echo "fuzz: $$name for $(FUZZ_SECONDS) s"; \
	  if $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=build/fuzz/$$name- \
	       build/fuzz/corpus-$$name fuzz/corpus/$${name#fuzz_}; then p=$$((p + 1)); \
	  else f=$$((f + 1)); echo "fuzz: $$name FAILED (reproducer: build/fuzz/$$name-crash-*)"; fi; \
	done; echo "fuzz: $$p passed, $$f failed"; [ $$f -eq 0 ]

# Benchmarks: each synack figure beside a peer measured in the same run
# (bench/run.lua). Bounded: every command runs under timeout; about a minute.
CHURN_KERNEL = $(BUILD)/bench/churn_kernel
$(CHURN_KERNEL): bench/churn_kernel.c
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) -std=c99 -D_DEFAULT_SOURCE -O2 $(WARN) $(CFLAGS) $< -o $@

bench:
	@tools/deps.sh bench
	@$(SUBMAKE) _bench

_bench: build $(CHURN_KERNEL)
	@SYNACK_BUILD=$(BUILD) LUA=$(LUA) CHURN_KERNEL=$(CHURN_KERNEL) $(LUA) bench/run.lua >/dev/null
	@echo "bench: wrote bench/RESULTS.md"

# Install as a Lua module: synack.lua, synack/*.lua, synack/core.so.
PREFIX ?= /usr/local
LUA_LIBDIR ?= $(PREFIX)/lib/lua/$(LUA_VERSION)
LUA_SHAREDIR ?= $(PREFIX)/share/lua/$(LUA_VERSION)
install: build
	install -d $(DESTDIR)$(LUA_LIBDIR)/synack $(DESTDIR)$(LUA_SHAREDIR)/synack
	install -m 755 $(MODULE) $(DESTDIR)$(LUA_LIBDIR)/synack/core.so
	install -m 644 lua/synack.lua $(DESTDIR)$(LUA_SHAREDIR)/synack.lua
	$(if $(wildcard lua/synack/*.lua),install -m 644 $(wildcard lua/synack/*.lua) $(DESTDIR)$(LUA_SHAREDIR)/synack/)

clean:
	rm -rf build
