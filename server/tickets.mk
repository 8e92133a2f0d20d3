# Tickets, the ingest function and the audit stream (docs/datamodel.md).
RX_LUA += server/lua/audit.lua server/lua/ticket.lua server/lua/ticket_ops.lua

# tests/local.mk sets INTEGRATION_TESTS after this fragment: add to TESTS.
TICKET_TESTS = tests/integration/test_tickets.py
TESTS += $(TICKET_TESTS)
EXTRA_DIST += $(TICKET_TESTS)
