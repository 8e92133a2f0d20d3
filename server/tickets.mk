# Tickets, the ingest function and the audit stream (docs/datamodel.md).
RX_LUA += server/lua/audit.lua server/lua/ticket.lua server/lua/ticket_ops.lua

# tests/local.mk sets INTEGRATION_TESTS after this fragment: add to TESTS.
TICKET_TESTS = tests/integration/test_tickets.py
TESTS += $(TICKET_TESTS)
EXTRA_DIST += $(TICKET_TESTS)

# ctl_audit.c is rxdeskctl's (store.mk defines rxdeskctl_SOURCES after this
# fragment); from the core library only rxdeskctl pulls it in.
librxcore_la_SOURCES += server/ticket.c server/ticket.h \
	server/api_ticket.c server/api_ticket.h server/ctl_audit.c

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/test_ticket
tests_unit_server_test_ticket_SOURCES = tests/unit/server/test_ticket.c
tests_unit_server_test_ticket_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_ticket_LDADD = $(UNIT_LDADD)
endif

