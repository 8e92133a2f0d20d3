# The customer store: normalisers, the CSV module, the C API over the
# customer functions, their HTTP endpoints and rxdeskctl (docs/datamodel.md).
librxcore_la_SOURCES += \
	server/csv.c server/csv.h \
	server/ident.c server/ident.h \
	server/phone.c server/phone.h \
	server/store_customer.c server/store_customer.h \
	server/api_customer.c server/api_customer.h

sbin_PROGRAMS += rxdeskctl
rxdeskctl_SOURCES = server/ctl.c server/ctl.h server/ctl_customer.c
rxdeskctl_LDADD = librxcore.la $(RX_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/test_phone tests/unit/server/test_ident \
	tests/unit/server/test_csv tests/unit/server/test_store_customer
tests_unit_server_test_phone_SOURCES = tests/unit/server/test_phone.c
tests_unit_server_test_phone_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_phone_LDADD = $(UNIT_LDADD)
tests_unit_server_test_ident_SOURCES = tests/unit/server/test_ident.c
tests_unit_server_test_ident_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_ident_LDADD = $(UNIT_LDADD)
tests_unit_server_test_csv_SOURCES = tests/unit/server/test_csv.c
tests_unit_server_test_csv_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_csv_LDADD = $(UNIT_LDADD)
tests_unit_server_test_store_customer_SOURCES = tests/unit/server/test_store_customer.c
tests_unit_server_test_store_customer_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_store_customer_LDADD = $(UNIT_LDADD)
endif

# After ticket.lua (tickets.mk): the customer functions use its rx.list,
# rx.encode, rx.fail and rx.ticket_set at run time.
RX_LUA += server/lua/customer_ops.lua

# tests/local.mk sets INTEGRATION_TESTS after this fragment: add to TESTS.
STORE_TESTS = tests/integration/test_customers.py
TESTS += $(STORE_TESTS)
EXTRA_DIST += $(STORE_TESTS)
EXTRA_DIST += docs/customers.md
EXTRA_DIST += scripts/demo scripts/demo-data.csv scripts/gen-demo-data.py

# libFuzzer harnesses (tests/fuzz/local.mk): the normalisers and the CSV
# reader. Listed here directly: tests/fuzz/local.mk sets FUZZ_TARGETS after
# this fragment.
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_ident tests/fuzz/fuzz_csv
endif
tests_fuzz_fuzz_ident_SOURCES = tests/fuzz/fuzz_ident.c
tests_fuzz_fuzz_ident_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_ident_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/fuzz_csv.c
tests_fuzz_fuzz_csv_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_csv_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/ident.dict tests/fuzz/corpus/ident \
	tests/fuzz/csv.dict tests/fuzz/corpus/csv
