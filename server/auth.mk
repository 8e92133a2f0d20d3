# Agents, passwords, sessions and the guard of the agent API (server/auth*,
# server/api_agent*, server/ctl_agent*, server/lua/agent.lua).
librxcore_la_SOURCES += \
	server/auth.c server/auth.h \
	server/auth_login.c server/auth_login.h \
	server/auth_password.c server/auth_password.h \
	server/api_agent.c server/api_agent.h
RX_LUA += server/lua/agent.lua

AUTH_TESTS = tests/integration/test_auth.py tests/integration/test_roles.py
TESTS += $(AUTH_TESTS)
EXTRA_DIST += $(AUTH_TESTS)
EXTRA_DIST += docs/api.md
