# The live channel: the WebSocket transport (server/ws.c, shared with the
# chat), cross-node events, and the agent WebSocket.
librxcore_la_SOURCES += \
	server/agentws.c server/agentws.h \
	server/events.c server/events.h \
	server/ws.c server/ws.h
RX_LUA += server/lua/presence.lua

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/test_ws
tests_unit_server_test_ws_SOURCES = tests/unit/server/test_ws.c
tests_unit_server_test_ws_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_ws_LDADD = $(UNIT_LDADD)
endif

# Included after tests/fuzz/local.mk (FUZZ_TARGETS) and tests/local.mk.
LIVE_TESTS = tests/integration/test_agent_ws.py
TESTS += $(LIVE_TESTS)
EXTRA_DIST += $(LIVE_TESTS)

# The tests' WebSocket client (node "ws", installed by scripts/bootstrap).
EXTRA_DIST += docs/live.md tests/package.json tests/package-lock.json \
	tests/integration/ws/client.js

# libFuzzer harness (tests/fuzz/local.mk): WebSocket framing.
FUZZ_TARGETS += tests/fuzz/fuzz_ws
tests_fuzz_fuzz_ws_SOURCES = tests/fuzz/fuzz_ws.c
tests_fuzz_fuzz_ws_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_ws_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/ws.dict tests/fuzz/corpus/ws
