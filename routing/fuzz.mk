# The triage fuzz harness (tests/fuzz/local.mk conventions); included after
# tests/fuzz/local.mk, which sets FUZZ_TARGETS.
FUZZ_TARGETS += tests/fuzz/fuzz_triage
tests_fuzz_fuzz_triage_SOURCES = tests/fuzz/fuzz_triage.c
tests_fuzz_fuzz_triage_LDADD = $(FUZZ_LIBS)
tests_fuzz_fuzz_triage_LDFLAGS = $(FUZZ_LINK)
EXTRA_DIST += tests/fuzz/triage.dict tests/fuzz/corpus/triage
