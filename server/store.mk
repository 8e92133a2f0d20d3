# The customer store: normalisers, the CSV module, the C API over the
# customer functions, their HTTP endpoints and rxdeskctl (docs/datamodel.md).
librxcore_la_SOURCES += \
	server/csv.c server/csv.h \
	server/ident.c server/ident.h \
	server/phone.c server/phone.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/test_phone tests/unit/server/test_ident \
	tests/unit/server/test_csv
tests_unit_server_test_phone_SOURCES = tests/unit/server/test_phone.c
tests_unit_server_test_phone_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_phone_LDADD = $(UNIT_LDADD)
tests_unit_server_test_ident_SOURCES = tests/unit/server/test_ident.c
tests_unit_server_test_ident_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_ident_LDADD = $(UNIT_LDADD)
tests_unit_server_test_csv_SOURCES = tests/unit/server/test_csv.c
tests_unit_server_test_csv_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_test_csv_LDADD = $(UNIT_LDADD)
endif
