# server/safety/: adverse-event cases as regulators read them: the ICH
# E2B(R3) writer (docs/safety.md).
librxcore_la_SOURCES += \
	server/safety/e2b.c server/safety/e2b.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/safety/test_e2b
tests_unit_server_safety_test_e2b_SOURCES = tests/unit/server/safety/test_e2b.c
tests_unit_server_safety_test_e2b_CFLAGS = $(UNIT_CFLAGS) -DE2B_REFDIR='"$(abs_top_srcdir)/tests/data/e2b"'
tests_unit_server_safety_test_e2b_LDADD = $(UNIT_LDADD)
endif
EXTRA_DIST += tests/data/e2b
