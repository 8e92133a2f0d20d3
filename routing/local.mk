# routing/: triage (language, lexicon, rules), queues, presence, strategies
# and SLA timers (docs/routing.md).
librxcore_la_SOURCES += \
	routing/lang.c routing/lang.h \
	routing/lexicon.c routing/lexicon.h \
	routing/triage.c routing/triage.h \
	routing/routing.c routing/routing.h \
	routing/queue_config.c routing/queue_config.h

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/routing/test_triage
tests_unit_routing_test_triage_SOURCES = tests/unit/routing/test_triage.c
tests_unit_routing_test_triage_CFLAGS = $(UNIT_CFLAGS)
tests_unit_routing_test_triage_LDADD = $(UNIT_LDADD)
check_PROGRAMS += tests/unit/routing/test_queue_config
tests_unit_routing_test_queue_config_SOURCES = tests/unit/routing/test_queue_config.c
tests_unit_routing_test_queue_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_routing_test_queue_config_LDADD = $(UNIT_LDADD)
endif

EXTRA_DIST += docs/routing.md

# Assignment and SLA timers run inside Redis (docs/routing.md): their Lua,
# routing/lua/*.lua, is listed in the library's order in Makefile.am.
EXTRA_DIST += routing/lua/route.lua routing/lua/sla.lua

# tests/local.mk sets INTEGRATION_TESTS after this fragment: add to TESTS.
ROUTING_TESTS = tests/integration/test_routing.py tests/integration/test_routing_nodes.py
TESTS += $(ROUTING_TESTS)
EXTRA_DIST += $(ROUTING_TESTS)

# bench/routing: assignments per second and latency as agents grow.
EXTRA_DIST += bench/routing
