# Agents, passwords, sessions and the guard of the agent API (server/auth*,
# server/api_agent*, server/ctl_agent*, server/lua/agent.lua).
librxcore_la_SOURCES += \
	server/auth.c server/auth.h \
	server/auth_login.c server/auth_login.h \
	server/auth_password.c server/auth_password.h \
	server/api_agent.c server/api_agent.h
RX_LUA += server/lua/agent.lua
rxdeskctl_SOURCES += server/ctl_agent.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/test_auth
tests_unit_server_test_auth_SOURCES = tests/unit/server/test_auth.c
tests_unit_server_test_auth_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_auth_LDADD = $(UNIT_LDADD)
endif

AUTH_TESTS = tests/integration/test_auth.py tests/integration/test_roles.py
TESTS += $(AUTH_TESTS)
EXTRA_DIST += $(AUTH_TESTS)
EXTRA_DIST += docs/api.md

# libFuzzer harness (tests/fuzz/local.mk): hashes, cookies, roles, login
# forms. Listed here directly: tests/fuzz/local.mk sets FUZZ_TARGETS after
# this fragment.
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_auth
endif
tests_fuzz_fuzz_auth_SOURCES = tests/fuzz/fuzz_auth.c
tests_fuzz_fuzz_auth_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_auth_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/auth.dict tests/fuzz/corpus/auth
