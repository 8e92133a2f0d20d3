# routing/: triage (language, lexicon, rules), queues, presence, strategies
# and SLA timers (docs/routing.md).
librxcore_la_SOURCES += \
	routing/lang.c routing/lang.h \
	routing/lexicon.c routing/lexicon.h \
	routing/triage.c routing/triage.h \
	routing/routing.c routing/routing.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/routing/test_triage
tests_unit_routing_test_triage_SOURCES = tests/unit/routing/test_triage.c
tests_unit_routing_test_triage_CFLAGS = $(UNIT_CFLAGS)
tests_unit_routing_test_triage_LDADD = $(UNIT_LDADD)
endif

EXTRA_DIST += docs/routing.md
