# server/store/: the only code that knows Redis key names: the ingest call,
# tickets, customers, the audit stream, and the Redis function library's
# Lua (docs/datamodel.md; the load order is in Makefile.am).
librxcore_la_SOURCES += \
	server/store/store.c server/store/store.h \
	server/store/store_customer.c server/store/store_customer.h \
	server/store/ticket.c server/store/ticket.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/store/test_store_customer \
	tests/unit/server/store/test_ticket
tests_unit_server_store_test_store_customer_SOURCES = tests/unit/server/store/test_store_customer.c
tests_unit_server_store_test_store_customer_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_store_test_store_customer_LDADD = $(UNIT_LDADD)
tests_unit_server_store_test_ticket_SOURCES = tests/unit/server/store/test_ticket.c
tests_unit_server_store_test_ticket_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_store_test_ticket_LDADD = $(UNIT_LDADD)
endif

EXTRA_DIST += docs/datamodel.md
