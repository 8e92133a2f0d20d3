# tests/: unit tests (cmocka, TAP output) and integration tests (Python,
# TAP), all run by `make check` through automake's TAP driver.
TEST_EXTENSIONS = .py
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
PY_LOG_DRIVER = $(LOG_DRIVER)
PY_LOG_COMPILER = $(PYTHON3)
AM_TESTS_ENVIRONMENT = \
	CMOCKA_MESSAGE_OUTPUT=TAP; export CMOCKA_MESSAGE_OUTPUT; \
	RXDESK_BUILDDIR='$(abs_top_builddir)'; export RXDESK_BUILDDIR; \
	RXDESK_SRCDIR='$(abs_top_srcdir)'; export RXDESK_SRCDIR; \
	REDIS_SERVER='$(REDIS_SERVER)'; export REDIS_SERVER;

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LDADD = librxcore.la $(RX_LIBS) $(CMOCKA_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/server/core/test_config
tests_unit_server_core_test_config_SOURCES = tests/unit/server/core/test_config.c
tests_unit_server_core_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_server_core_test_config_LDADD = $(UNIT_LDADD)
endif
TESTS += $(check_PROGRAMS)

INTEGRATION_TESTS = \
	tests/integration/test_daemon.py \
	tests/integration/test_valgrind.py \
	tests/integration/test_console.py \
	tests/integration/test_console_desk.py \
	tests/integration/test_console_flows.py \
	tests/integration/test_screening.py \
	tests/integration/test_screening_feedback.py \
	tests/integration/test_smtp_limits.py \
	tests/integration/test_slow.py \
	tests/integration/test_tls.py \
	tests/integration/test_fault.py \
	tests/integration/test_sweep.py \
	tests/integration/test_tickets.py \
	tests/integration/test_customers.py \
	tests/integration/test_auth.py \
	tests/integration/test_roles.py \
	tests/integration/test_agent_ws.py \
	tests/integration/test_run.py \
	tests/integration/test_ingest.py \
	tests/integration/test_safety.py \
	tests/integration/test_install.py
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/rxtest.py \
	tests/integration/browser/console.js tests/integration/browser/desk.js tests/integration/browser/flows.js tests/integration/ws/client.js \
	tests/package.json tests/package-lock.json
