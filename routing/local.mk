# routing/: triage (language, safety screening, rules), queues, presence,
# strategies and SLA timers (docs/routing.md, docs/screening.md).
librxcore_la_SOURCES += \
	routing/lang.c routing/lang.h \
	routing/screen.c routing/screen.h \
	routing/screen_match.c routing/screen_match.h \
	routing/screen_scope.c routing/screen_scope.h \
	routing/screen_text.c routing/screen_text.h \
	routing/screen_data.c routing/screen_data.h \
	routing/screen_model.cc routing/screen_model.h \
	routing/triage.c routing/triage.h \
	routing/routing.c routing/routing.h \
	routing/queue_config.c routing/queue_config.h

# Screening's text libraries (configure.ac) and where its knowledge is:
# installed in $(pkgdatadir)/screening, read from the source tree when
# rxdeskd runs from its build tree (routing/screen_dirs.h).
AM_CFLAGS += $(ICU_CFLAGS)
RX_LIBS += $(ICU_LIBS) $(STEMMER_LIBS)
BUILT_SOURCES += routing/screen_dirs.h
CLEANFILES += routing/screen_dirs.h
routing/screen_dirs.h: Makefile
	$(AM_V_GEN)mkdir -p routing && \
	{ echo '#define SCREEN_SOURCE_DIR "$(abs_top_srcdir)/routing/screening"'; \
	  echo '#define SCREEN_KNOWN_DIR "$(abs_top_builddir)/routing/screening-known"'; } \
	  > $@.tmp && mv $@.tmp $@
SCREEN_FILES = context.txt lists.txt quality.txt scopes.txt situations.txt symptoms.txt
screening_endir = $(pkgdatadir)/screening/en
dist_screening_en_DATA = $(addprefix routing/screening/en/,$(SCREEN_FILES))
screening_ukdir = $(pkgdatadir)/screening/uk
dist_screening_uk_DATA = $(addprefix routing/screening/uk/,$(SCREEN_FILES))
screening_rudir = $(pkgdatadir)/screening/ru
dist_screening_ru_DATA = $(addprefix routing/screening/ru/,$(SCREEN_FILES))
screening_zhdir = $(pkgdatadir)/screening/zh
dist_screening_zh_DATA = $(addprefix routing/screening/zh/,$(SCREEN_FILES))
EXTRA_DIST += docs/screening.md

# Each language's known stems from its hunspell word list, computed once
# by the build instead of at every start (routing/screen_data.h), and
# installed beside the vocabularies.
noinst_PROGRAMS += routing/screen-known
routing_screen_known_SOURCES = routing/screen_known.c
routing_screen_known_LDADD = librxcore.la $(RX_LIBS)
SCREEN_KNOWN = routing/screening-known/known-en.bin \
	routing/screening-known/known-uk.bin routing/screening-known/known-ru.bin
screening_knowndir = $(pkgdatadir)/screening
screening_known_DATA = $(SCREEN_KNOWN)
CLEANFILES += $(SCREEN_KNOWN)
routing/screening-known/known-%.bin: routing/screen-known$(EXEEXT)
	$(AM_V_GEN)mkdir -p routing/screening-known && \
	./routing/screen-known$(EXEEXT) $* $@.tmp && mv $@.tmp $@

# The fastText second signal (routing/screen_model.cc, docs/screening.md):
# the model is rebuilt from the dev corpus by scripts/train-screening-model;
# tests/screening/screen_decide (built by make, not a test) gives that
# script the lexicon's decision per message.
AM_CXXFLAGS = -std=gnu++17 -Wall -Wextra $(ICU_CFLAGS) $(FASTTEXT_CFLAGS)
RX_LIBS += $(FASTTEXT_LIBS)
screening_modeldir = $(pkgdatadir)/screening
dist_screening_model_DATA = routing/screening/model.ftz
EXTRA_DIST += scripts/train-screening-model
noinst_PROGRAMS += tests/screening/screen_decide
tests_screening_screen_decide_SOURCES = tests/screening/screen_decide.c
tests_screening_screen_decide_LDADD = librxcore.la $(RX_LIBS)

# The screener on the labelled corpus (figures on the frozen test part;
# tests/screening/screen_eval --dev --misses for tuning).
check_PROGRAMS += tests/screening/screen_eval
tests_screening_screen_eval_SOURCES = tests/screening/screen_eval.c
tests_screening_screen_eval_LDADD = librxcore.la $(RX_LIBS)
EXTRA_DIST += tests/screening/corpus

# bench/case_screen.py runs it: screening alone, per 1 KiB message.
noinst_PROGRAMS += bench/screen_bench
bench_screen_bench_SOURCES = bench/screen_bench.c
bench_screen_bench_LDADD = librxcore.la $(RX_LIBS)
EXTRA_DIST += bench/case_screen.py

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/routing/test_screen
tests_unit_routing_test_screen_SOURCES = tests/unit/routing/test_screen.c
tests_unit_routing_test_screen_CFLAGS = $(UNIT_CFLAGS)
tests_unit_routing_test_screen_LDADD = $(UNIT_LDADD)
check_PROGRAMS += tests/unit/routing/test_screen_model
tests_unit_routing_test_screen_model_SOURCES = tests/unit/routing/test_screen_model.c
tests_unit_routing_test_screen_model_CFLAGS = $(UNIT_CFLAGS)
tests_unit_routing_test_screen_model_LDADD = $(UNIT_LDADD)
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
ROUTING_TESTS = tests/integration/test_routing.py tests/integration/test_routing_nodes.py \
	tests/integration/test_routing_live.py
TESTS += $(ROUTING_TESTS)
EXTRA_DIST += $(ROUTING_TESTS)

# bench/routing: assignments per second and latency as agents grow.
EXTRA_DIST += bench/routing
