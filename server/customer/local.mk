# server/customer/: customer identities (email, external ids), telephone
# numbers to E.164, and the CSV reader and writer of import and export.
librxcore_la_SOURCES += \
	server/customer/csv.c server/customer/csv.h \
	server/customer/ident.c server/customer/ident.h \
	server/customer/phone.c server/customer/phone.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/customer/test_phone \
	tests/unit/server/customer/test_ident tests/unit/server/customer/test_csv
tests_unit_server_customer_test_phone_SOURCES = tests/unit/server/customer/test_phone.c
tests_unit_server_customer_test_phone_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_customer_test_phone_LDADD = $(UNIT_LDADD)
tests_unit_server_customer_test_ident_SOURCES = tests/unit/server/customer/test_ident.c
tests_unit_server_customer_test_ident_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_customer_test_ident_LDADD = $(UNIT_LDADD)
tests_unit_server_customer_test_csv_SOURCES = tests/unit/server/customer/test_csv.c
tests_unit_server_customer_test_csv_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_customer_test_csv_LDADD = $(UNIT_LDADD)
endif

# libFuzzer harnesses (tests/fuzz/local.mk): the normalisers and the CSV
# reader.
FUZZ_TARGETS += tests/fuzz/fuzz_ident tests/fuzz/fuzz_csv
tests_fuzz_fuzz_ident_SOURCES = tests/fuzz/fuzz_ident.c
tests_fuzz_fuzz_ident_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_ident_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_csv_SOURCES = tests/fuzz/fuzz_csv.c
tests_fuzz_fuzz_csv_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_csv_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/ident.dict tests/fuzz/corpus/ident \
	tests/fuzz/csv.dict tests/fuzz/corpus/csv
